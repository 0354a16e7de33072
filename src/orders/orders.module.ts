import { Module } from '@nestjs/common';
import { InventoryModule } from '../inventory/inventory.module.js';
import { EVENT_HANDLERS } from '../webhooks/event-handler.js';
import { LifecycleEventHandler } from './lifecycle-event.handler.js';
import { NewOrderHandler } from './new-order.handler.js';
import { LIFECYCLE_EVENTS } from './order-state-machine.js';
import { OrdersController } from './orders.controller.js';
import { OrdersRepository } from './orders.repository.js';
import { OrdersService } from './orders.service.js';

@Module({
  imports: [InventoryModule],
  controllers: [OrdersController],
  providers: [
    OrdersRepository,
    OrdersService,
    NewOrderHandler,
    {
      // Every event type the orders module understands, handed to the webhook dispatcher.
      provide: EVENT_HANDLERS,
      inject: [NewOrderHandler, OrdersService],
      useFactory: (newOrder: NewOrderHandler, orders: OrdersService) => [
        newOrder,
        ...LIFECYCLE_EVENTS.map((type) => new LifecycleEventHandler(type, orders)),
      ],
    },
  ],
  exports: [OrdersService, EVENT_HANDLERS],
})
export class OrdersModule {}
