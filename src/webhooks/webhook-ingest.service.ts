import { Inject, Injectable, Logger } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import type { EntityManager } from 'typeorm';
import { AppError } from '../common/app-error.js';
import { lifecycleRank } from '../orders/order-state-machine.js';
import { isDatabaseUnavailable } from '../database/pg-errors.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { EVENT_HANDLERS, type EventHandler } from './event-handler.js';
import type { VerifiedDelivery } from './signature/signature.guard.js';
import { parseEnvelope } from './webhook-envelope.js';
import { type IncomingEvent, WebhookEventStore } from './webhook-event.store.js';

export interface DeliveryResult {
  event_id: string;
  status: 'processed' | 'duplicate' | 'ignored' | 'deferred';
  reason?: string;
  order_status?: string;
}

export const UNKNOWN_EVENT_TYPE = 'unknown_event_type';

/**
 * The path of one verified delivery: parse and validate (400 before any
 * write), then one transaction that claims the event id, applies the event
 * and records its outcome. The answer is sent only after that commit.
 */
@Injectable()
export class WebhookIngestService {
  private readonly logger = new Logger('Webhooks');
  private readonly handlers: Map<string, EventHandler>;

  constructor(
    private readonly transactions: TransactionRunner,
    private readonly events: WebhookEventStore,
    @Inject(EVENT_HANDLERS) handlers: EventHandler[],
  ) {
    this.handlers = new Map(handlers.map((h) => [h.type, h]));
  }

  async receive(delivery: VerifiedDelivery, headers: IncomingHttpHeaders): Promise<DeliveryResult> {
    const envelope = parseEnvelope(delivery.rawBody, headers);
    const handler = this.handlers.get(envelope.type);
    const command = handler?.parse(envelope.data);
    const event: IncomingEvent = {
      source: delivery.source.name,
      eventId: envelope.eventId,
      eventType: envelope.type,
      orderId: handler ? handler.orderIdOf(command) : null,
      headers,
      rawBody: delivery.rawBody,
    };

    try {
      return await this.transactions.run(async (em) => {
        const id = await this.events.claim(em, event);
        if (id === undefined) return { event_id: event.eventId, status: 'duplicate' as const };
        if (!handler) {
          await this.events.setOutcome(em, id, 'ignored', UNKNOWN_EVENT_TYPE);
          return { event_id: event.eventId, status: 'ignored' as const, reason: UNKNOWN_EVENT_TYPE };
        }
        const outcome = await handler.apply(em, command, { source: event.source, webhookEventId: id });
        if (outcome.status !== 'processed' || outcome.reason) await this.events.setOutcome(em, id, outcome.status, outcome.reason);
        if (outcome.status === 'processed' && event.orderId) await this.applyDeferred(em, event.orderId);
        const result: DeliveryResult = { event_id: event.eventId, status: outcome.status };
        if (outcome.reason) result.reason = outcome.reason;
        if (outcome.orderStatus) result.order_status = outcome.orderStatus;
        return result;
      });
    } catch (error) {
      if (isDatabaseUnavailable(error)) throw AppError.databaseUnavailable();
      await this.keepFailedDelivery(event, error);
      throw error;
    }
  }

  /**
   * Applies the order's deferred events that its new status allows, in
   * lifecycle order (not arrival order), until none can move it further.
   * Those that can never apply any more are recorded as ignored.
   */
  private async applyDeferred(em: EntityManager, orderId: string): Promise<void> {
    for (let progressed = true; progressed; ) {
      progressed = false;
      const waiting = (await this.events.findDeferred(em, orderId)).sort(
        (a, b) => lifecycleRank(a.event_type) - lifecycleRank(b.event_type) || Number(a.id) - Number(b.id),
      );
      for (const stored of waiting) {
        const handler = this.handlers.get(stored.event_type);
        if (!handler) continue;
        const command = handler.parse(parseEnvelope(stored.raw_body, {}).data);
        const outcome = await handler.apply(em, command, { source: stored.source, webhookEventId: stored.id });
        if (outcome.status === 'deferred') continue;
        await this.events.setOutcome(em, stored.id, outcome.status, outcome.reason);
        if (outcome.status === 'processed') {
          progressed = true;
          break;
        }
      }
    }
  }

  /** The effects rolled back; the delivery itself is kept as `failed` so it can be seen and replayed. */
  private async keepFailedDelivery(event: IncomingEvent, error: unknown): Promise<void> {
    const message = error instanceof Error ? error.message : String(error);
    try {
      await this.transactions.run((em) => this.events.recordFailure(em, event, message.slice(0, 2000)));
    } catch (recordError) {
      this.logger.error(`could not record failed delivery ${event.source}/${event.eventId}: ${String(recordError)}`);
    }
  }
}
