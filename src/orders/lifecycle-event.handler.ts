import type { EntityManager } from 'typeorm';
import { LifecycleEventDto } from '../webhooks/dto/lifecycle-event.dto.js';
import type { EventHandler, HandlerContext, HandlerOutcome } from '../webhooks/event-handler.js';
import { parseEventData } from '../webhooks/webhook-envelope.js';
import { type LifecycleEvent, lifecycleRank } from './order-state-machine.js';
import type { LifecycleCommand, OrdersService } from './orders.service.js';

/** payment_succeeded, payment_failed, order_cancelled, order_fulfilled, order_refunded: one instance per type. */
export class LifecycleEventHandler implements EventHandler<LifecycleCommand> {
  readonly deferralRank: number;

  constructor(
    readonly type: LifecycleEvent,
    private readonly orders: OrdersService,
  ) {
    this.deferralRank = lifecycleRank(type);
  }

  parse(data: unknown): LifecycleCommand {
    const dto = parseEventData(LifecycleEventDto, data);
    return {
      orderId: String(dto.order_id),
      event: this.type,
      reason: dto.reason ?? null,
      restock: dto.restock ?? false,
    };
  }

  orderIdOf(command: LifecycleCommand): string {
    return command.orderId;
  }

  async apply(em: EntityManager, command: LifecycleCommand, context: HandlerContext): Promise<HandlerOutcome> {
    const result = await this.orders.applyLifecycleEvent(em, command, context);
    switch (result.outcome) {
      case 'applied':
        return { status: 'processed', reason: null, orderStatus: result.status };
      case 'deferred':
        return { status: 'deferred', reason: result.reason, orderStatus: result.status };
      case 'ignored':
        return { status: 'ignored', reason: result.reason, orderStatus: result.status };
    }
  }
}
