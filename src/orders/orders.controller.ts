import { Controller, Get, Param, UseGuards } from '@nestjs/common';
import { AdminTokenGuard } from '../auth/admin-token.guard.js';
import { type OrderView, OrdersService } from './orders.service.js';

@Controller('orders')
@UseGuards(AdminTokenGuard)
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Get(':order_id')
  get(@Param('order_id') orderId: string): Promise<OrderView> {
    return this.orders.get(orderId);
  }
}
