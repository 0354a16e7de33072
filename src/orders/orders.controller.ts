import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { AdminTokenGuard } from '../auth/admin-token.guard.js';
import type { Page } from '../common/pagination.js';
import { ListOrdersQuery } from './dto/list-orders.query.js';
import { OrderIdPipe } from './order-id.pipe.js';
import { type OrderSummaryView, type OrderView, OrdersService } from './orders.service.js';

@Controller('orders')
@UseGuards(AdminTokenGuard)
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Get()
  list(@Query() query: ListOrdersQuery): Promise<Page<OrderSummaryView>> {
    return this.orders.list(query);
  }

  @Get(':order_id')
  get(@Param('order_id', OrderIdPipe) orderId: string): Promise<OrderView> {
    return this.orders.get(orderId);
  }
}
