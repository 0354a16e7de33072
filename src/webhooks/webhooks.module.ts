import { Module } from '@nestjs/common';
import { OrdersModule } from '../orders/orders.module.js';
import { SignatureGuard } from './signature/signature.guard.js';
import { WebhookEventStore } from './webhook-event.store.js';
import { WebhookIngestService } from './webhook-ingest.service.js';
import { WebhookEventsController } from './webhook-events.controller.js';
import { WebhookEventsService } from './webhook-events.service.js';
import { WebhooksController } from './webhooks.controller.js';

@Module({
  imports: [OrdersModule],
  controllers: [WebhooksController, WebhookEventsController],
  providers: [
    SignatureGuard,
    WebhookEventStore,
    WebhookIngestService,
    WebhookEventsService,
  ],
  exports: [WebhookEventsService, WebhookIngestService],
})
export class WebhooksModule {}
