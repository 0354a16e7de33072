import { Module } from '@nestjs/common';
import { InventoryModule } from '../inventory/inventory.module.js';
import { NotificationsModule } from '../notifications/notifications.module.js';
import { OutboxModule } from '../notifications/outbox.module.js';
import { OrdersModule } from '../orders/orders.module.js';
import { WebhooksModule } from '../webhooks/webhooks.module.js';
import { ConsoleController } from './console.controller.js';
import { NotificationsConsoleController } from './notifications-console.controller.js';

/** The operator's console: its pages read through the services of the modules it imports; nothing imports it. */
@Module({
  imports: [WebhooksModule, InventoryModule, OrdersModule, NotificationsModule, OutboxModule],
  controllers: [ConsoleController, NotificationsConsoleController],
})
export class ConsoleModule {}
