import { Module } from '@nestjs/common';
import { InventoryModule } from '../inventory/inventory.module.js';
import { NewOrderHandler } from './new-order.handler.js';
import { OrdersController } from './orders.controller.js';
import { OrdersRepository } from './orders.repository.js';
import { OrdersService } from './orders.service.js';

@Module({
  imports: [InventoryModule],
  controllers: [OrdersController],
  providers: [OrdersRepository, OrdersService, NewOrderHandler],
  exports: [OrdersService, NewOrderHandler],
})
export class OrdersModule {}
