import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AdminTokenGuard } from '../auth/admin-token.guard.js';
import { PlainTextParamPipe } from '../common/plain-text-param.pipe.js';
import type { Page } from '../common/pagination.js';
import { MAX_ID_LENGTH } from '../common/validators.js';
import { ListOrdersQuery } from './dto/list-orders.query.js';
import { OrderSourceQuery } from './dto/order-source.js';
import { type OrderSummaryView, type OrderView, OrdersService } from './orders.service.js';

@ApiTags('orders')
@ApiBearerAuth('admin')
@ApiResponse({ status: 401, description: 'missing or wrong admin token' })
@ApiResponse({ status: 400, description: 'invalid parameter, query or body; `errors` names each field' })
@ApiResponse({ status: 429, description: 'too many requests from this address; see retry-after' })
@Controller('orders')
@UseGuards(AdminTokenGuard)
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Get()
  @ApiOperation({ summary: 'Orders newest first, optionally of one status or source' })
  @ApiResponse({ status: 200, description: '{items: [{source, order_id, status, status_reason, needs_attention, customer_name, total_amount, currency, created_at, updated_at}], next_cursor}' })
  list(@Query() query: ListOrdersQuery): Promise<Page<OrderSummaryView>> {
    return this.orders.list(query);
  }

  @Get(':order_id')
  @ApiOperation({ summary: 'One order with its items and status history; ?source= names the source when several have the id' })
  @ApiResponse({ status: 200, description: '{source, order_id, status, status_reason, needs_attention, customer_name, customer_email, total_amount, currency, items, history, created_at, updated_at}' })
  @ApiResponse({ status: 404, description: 'unknown order (of that source, when named)' })
  @ApiResponse({ status: 409, description: '`ambiguous_order`: several sources have an order with this id; the message names them, and ?source= picks one' })
  get(@Param('order_id', new PlainTextParamPipe('order_id', MAX_ID_LENGTH)) orderId: string, @Query() query: OrderSourceQuery): Promise<OrderView> {
    return this.orders.get(orderId, query.source);
  }
}
