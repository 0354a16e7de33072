import { Body, Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AdminTokenGuard } from '../auth/admin-token.guard.js';
import { PlainTextParamPipe } from '../common/plain-text-param.pipe.js';
import type { Page } from '../common/pagination.js';
import { MAX_ID_LENGTH } from '../common/validators.js';
import { ListOrdersQuery } from './dto/list-orders.query.js';
import { OrderSourceQuery } from './dto/order-source.js';
import { ResolveAttentionDto } from './dto/resolve-attention.dto.js';
import { type OrderSummaryView, type OrderView, OrdersService } from './orders.service.js';

const ORDER_ID = new PlainTextParamPipe('order_id', MAX_ID_LENGTH);
const AMBIGUOUS = '`ambiguous_order`: several sources have an order with this id; the message names them, and ?source= picks one';
const ORDER_VIEW =
  '{source, order_id, status, status_reason, needs_attention, customer_name, customer_email, total_amount, currency, payment_id, items, history, ' +
  'attention: [{reason, webhook_event_id, raised_at, resolved_at, note}], created_at, updated_at}';

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
  @ApiOperation({ summary: 'Orders newest first, optionally of one status or source, flagged (needs_attention=true) or not' })
  @ApiResponse({ status: 200, description: '{items: [{source, order_id, status, status_reason, needs_attention, customer_name, total_amount, currency, created_at, updated_at}], next_cursor}' })
  list(@Query() query: ListOrdersQuery): Promise<Page<OrderSummaryView>> {
    const needsAttention = query.needs_attention === undefined ? undefined : query.needs_attention === 'true';
    return this.orders.list({ status: query.status, source: query.source, needsAttention, cursor: query.cursor, limit: query.limit });
  }

  @Get(':order_id')
  @ApiOperation({ summary: 'One order with its items, status history and attention items (open and resolved, oldest first); ?source= names the source when several have the id' })
  @ApiResponse({ status: 200, description: ORDER_VIEW })
  @ApiResponse({ status: 404, description: 'unknown order (of that source, when named)' })
  @ApiResponse({ status: 409, description: AMBIGUOUS })
  get(@Param('order_id', ORDER_ID) orderId: string, @Query() query: OrderSourceQuery): Promise<OrderView> {
    return this.orders.get(orderId, query.source);
  }

  @Post(':order_id/attention/resolve')
  @HttpCode(200)
  @ApiOperation({ summary: 'Resolve every open attention item of the order with a note; needs_attention becomes false and the items are kept' })
  @ApiResponse({ status: 200, description: `the order as it now is: ${ORDER_VIEW}` })
  @ApiResponse({ status: 404, description: 'unknown order (of that source, when named)' })
  @ApiResponse({ status: 409, description: `no_open_attention: the order has no open attention item; or ${AMBIGUOUS}` })
  resolveAttention(@Param('order_id', ORDER_ID) orderId: string, @Query() query: OrderSourceQuery, @Body() body: ResolveAttentionDto): Promise<OrderView> {
    return this.orders.resolveAttention(orderId, body.note, query.source);
  }
}
