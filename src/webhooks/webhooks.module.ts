import { Module } from '@nestjs/common';
import { NewOrderHandler } from '../orders/new-order.handler.js';
import { OrdersModule } from '../orders/orders.module.js';
import { EVENT_HANDLERS } from './event-handler.js';
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
    { provide: EVENT_HANDLERS, inject: [NewOrderHandler], useFactory: (...handlers: unknown[]) => handlers },
  ],
})
export class WebhooksModule {}
