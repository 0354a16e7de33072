import { Module } from '@nestjs/common';
import { OrdersModule } from '../orders/orders.module.js';
import { SignatureGuard } from './signature/signature.guard.js';
import { WebhookEventStore } from './webhook-event.store.js';
import { WebhookIngestService } from './webhook-ingest.service.js';
import { WebhooksController } from './webhooks.controller.js';

@Module({
  imports: [OrdersModule],
  controllers: [WebhooksController],
  providers: [
    SignatureGuard,
    WebhookEventStore,
    WebhookIngestService,
  ],
})
export class WebhooksModule {}
