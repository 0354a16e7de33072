import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { TransactionRunner } from '../../database/transaction-runner.js';
import { deferralRank, type OrderCommand } from '../../orders/order-commands.js';
import type { OrderStatus } from '../../orders/order-status.js';
import { OrdersService } from '../../orders/orders.service.js';
import { deliveryStatusOf } from '../delivery-status.js';
import { readStored } from '../providers/provider.js';
import { Providers } from '../providers/providers.js';
import { type StoredEvent, WebhookEventStore } from '../webhook-event.store.js';
import { WebhookSources } from '../webhook-sources.js';
import { errorMessage } from '../../common/error-message.js';

/** A waiting delivery, read once: its commands (or why it no longer reads) and its place in the lifecycle. */
interface Waiting {
  stored: StoredEvent;
  commands: OrderCommand[];
  unreadable?: Error;
  rank: number;
}

/**
 * The scheduler of deferred deliveries: when an order moves, the deliveries
 * that wait for it are tried in the state machine's lifecycle order (not
 * arrival order), again and again until none can move it further. Those
 * that can never apply any more are recorded as ignored.
 */
@Injectable()
export class DeferredEvents {
  private readonly logger = new Logger('DeferredEvents');

  constructor(
    private readonly events: WebhookEventStore,
    private readonly orders: OrdersService,
    private readonly providers: Providers,
    private readonly transactions: TransactionRunner,
    private readonly sources: WebhookSources,
  ) {}

  /**
   * Applies the order's deferred deliveries that its status allows, in the
   * caller's transaction. Each runs in a savepoint: one that fails is kept as
   * `failed` (replayable) without failing the delivery that released it, and
   * the rest of the order's queue waits behind it. Returns the order's status
   * after the last one applied (undefined when none applied).
   */
  async release(em: EntityManager, orderId: string): Promise<OrderStatus | undefined> {
    let finalStatus: OrderStatus | undefined;
    for (let progressed = true; progressed; ) {
      progressed = false;
      const waiting = (await this.events.findDeferred(em, orderId))
        .map((stored) => this.ranked(stored))
        .sort((a, b) => a.rank - b.rank || Number(a.stored.id) - Number(b.stored.id));
      for (const next of waiting) {
        const { stored } = next;
        const outcome = await this.applyInSavepoint(em, next);
        // A failed step stops the order's queue: the events after it wait, rather than apply to a status
        // the lifecycle would never have given them. Replaying the failed one resumes the queue.
        if (!outcome) return finalStatus;
        const status = deliveryStatusOf(outcome);
        if (status === 'deferred') {
          if (outcome.reason !== stored.reason) await this.events.setOutcome(em, stored.id, status, outcome.reason);
          continue;
        }
        await this.events.setOutcome(em, stored.id, status, outcome.reason);
        if (status === 'processed') {
          finalStatus = outcome.status;
          progressed = true;
          break;
        }
      }
    }
    return finalStatus;
  }

  private ranked(stored: StoredEvent): Waiting {
    try {
      const { commands } = readStored(this.providers.forSource(stored.source), stored.raw_body, stored.headers);
      return { stored, commands, rank: deferralRank(commands) };
    } catch (unreadable) {
      // A stored body that no longer reads is tried last, and fails in its turn (applyInSavepoint).
      return { stored, commands: [], unreadable: unreadable instanceof Error ? unreadable : new Error(String(unreadable)), rank: Number.MAX_SAFE_INTEGER };
    }
  }

  /** One deferred delivery, isolated: undefined when it failed (and was kept so). */
  private async applyInSavepoint(em: EntityManager, { stored, commands, unreadable }: Waiting) {
    return this.transactions.inSavepoint(
      em,
      async () => {
        if (unreadable !== undefined) throw unreadable;
        if (commands.length === 0) throw new Error(`deferred delivery ${stored.id} asks nothing of an order any more`);
        const [outcome] = await this.orders.apply(em, [{ commands, cause: { source: stored.source, orderSources: this.sources.orderSourcesOf(stored.source), webhookEventId: stored.id } }]);
        return outcome;
      },
      async (error) => {
        this.logger.warn(`deferred event ${stored.source}/${stored.event_id} failed: ${errorMessage(error)}`);
        await this.events.recordFailed(em, { recordId: stored.id, newAttempt: false }, error);
        return undefined;
      },
    );
  }
}
