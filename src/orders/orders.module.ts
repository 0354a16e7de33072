import { Module } from '@nestjs/common';
import { InventoryModule } from '../inventory/inventory.module.js';
import { OrderMovedHooks } from './order-moved-hooks.js';
import { OrdersController } from './orders.controller.js';
import { OrdersRepository } from './orders.repository.js';
import { OrdersService } from './orders.service.js';
import { ReservationSweeper } from './reservation-sweeper.js';

@Module({
  imports: [InventoryModule],
  controllers: [OrdersController],
  providers: [OrdersRepository, OrdersService, ReservationSweeper, OrderMovedHooks],
  exports: [OrdersService, OrderMovedHooks],
})
export class OrdersModule {}
