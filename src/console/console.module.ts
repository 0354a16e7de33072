import { Module } from '@nestjs/common';
import { InventoryModule } from '../inventory/inventory.module.js';
import { NotificationsModule } from '../notifications/notifications.module.js';
import { OrdersModule } from '../orders/orders.module.js';
import { WebhooksModule } from '../webhooks/webhooks.module.js';
import { ConsoleController } from './console.controller.js';

@Module({ imports: [WebhooksModule, InventoryModule, OrdersModule, NotificationsModule], controllers: [ConsoleController] })
export class ConsoleModule {}
