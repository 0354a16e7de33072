import { Module, type OnModuleInit } from '@nestjs/common';
import { OrderMovedHooks } from '../orders/order-moved-hooks.js';
import { OrdersModule } from '../orders/orders.module.js';
import { ApplyDeliveries } from './pipeline/apply-deliveries.js';
import { DeferredEvents } from './pipeline/deferred-events.js';
import { DeliveryLog } from './pipeline/delivery-log.js';
import { DeliveryPipeline } from './pipeline/delivery-pipeline.js';
import { GroupCommit } from './pipeline/group-commit.js';
import { Providers } from './providers/providers.js';
import { SignatureGuard } from './signature/signature.guard.js';
import { WebhookEventStore } from './webhook-event.store.js';
import { WebhookEventsController } from './webhook-events.controller.js';
import { WebhookEventsService } from './webhook-events.service.js';
import { WebhooksController } from './webhooks.controller.js';

/** Transport, sources and the event log: depends on the domain (orders, inventory), never the other way. */
@Module({
  imports: [OrdersModule],
  controllers: [WebhooksController, WebhookEventsController],
  providers: [
    SignatureGuard,
    Providers,
    WebhookEventStore,
    DeliveryPipeline,
    ApplyDeliveries,
    GroupCommit,
    DeferredEvents,
    DeliveryLog,
    WebhookEventsService,
  ],
  exports: [WebhookEventsService],
})
export class WebhooksModule implements OnModuleInit {
  constructor(
    private readonly orderMoved: OrderMovedHooks,
    private readonly deferred: DeferredEvents,
  ) {}

  /** An order the service moved itself (reservation expiry) settles the deliveries that waited for it, as a delivery's change would. */
  onModuleInit(): void {
    this.orderMoved.register(async (em, orderId) => {
      await this.deferred.release(em, orderId);
    });
  }
}
