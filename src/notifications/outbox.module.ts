import { Module } from '@nestjs/common';
import { NotificationsOutboxController } from './notifications-outbox.controller.js';
import { NotificationsOutboxService } from './notifications-outbox.service.js';
import { OutboxMetrics } from './outbox-metrics.js';
import { OutboxSender } from './outbox-sender.js';

/** The outbox of messages to the storefront: its senders, metrics and management routes (issue 13); the console's page of it is in console/. */
@Module({
  controllers: [NotificationsOutboxController],
  providers: [NotificationsOutboxService, OutboxMetrics, OutboxSender],
  exports: [NotificationsOutboxService],
})
export class OutboxModule {}
