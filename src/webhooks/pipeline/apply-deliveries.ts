import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AppError } from '../../common/app-error.js';
import { isTransientDatabaseError } from '../../database/pg-errors.js';
import { TransactionRunner } from '../../database/transaction-runner.js';
import { type CommandCause, createsOrderOnly, type OrderOutcome } from '../../orders/order-commands.js';
import type { OrderStatus } from '../../orders/order-status.js';
import { OrdersService } from '../../orders/orders.service.js';
import { deliveryStatusOf, type DeliveryStatus, differsFromClaim } from '../delivery-status.js';
import { type ReadDelivery, withOrder } from '../providers/provider.js';

/** A delivery that names only a payment no order was paid with asks nothing (it can be replayed once one is). */
export const NO_ORDER_FOR_PAYMENT = 'no_order_for_payment';
import { WebhookEventStore } from '../webhook-event.store.js';
import { WebhookSources } from '../webhook-sources.js';
import { DeferredEvents } from './deferred-events.js';
import type { DeliveryResult, PendingDelivery } from './delivery.js';

/** A delivery the event log has taken: its record, what it asks, and whether deliveries wait for its order. */
export interface ClaimedDelivery {
  recordId: string;
  source: string;
  read: ReadDelivery;
  /** undefined: not known yet (a replay), looked up once the delivery has moved its order. */
  orderAwaited: boolean | undefined;
}

interface Applied {
  status: DeliveryStatus;
  reason: string | null;
  orderStatus?: OrderStatus;
}

/**
 * The "apply" stage: one transaction that claims deliveries in the event
 * log, lets the domain carry out their commands, records each outcome, and
 * releases the deferred deliveries of the orders they moved. Every answer
 * is sent after its commit.
 */
@Injectable()
export class ApplyDeliveries {
  constructor(
    private readonly transactions: TransactionRunner,
    private readonly events: WebhookEventStore,
    private readonly orders: OrdersService,
    private readonly deferred: DeferredEvents,
    private readonly sources: WebhookSources,
  ) {}

  /** One delivery in a transaction of its own; when it fails, the delivery is kept as `failed` and the error goes on. */
  async alone(pending: PendingDelivery): Promise<DeliveryResult> {
    try {
      // The effects rolled back; the delivery itself is kept as `failed` so it can be seen and replayed.
      const [result] = await this.transactions.runKeepingFailure(
        `delivery ${pending.source}/${pending.read.eventId}`,
        (em) => this.inTransaction(em, [pending]),
        (em, error) => this.events.recordFailed(em, { delivery: pending }, error),
      );
      return result;
    } catch (error) {
      // Unreachable database, or contention that outlasted the retries: the sender should try again.
      if (isTransientDatabaseError(error)) throw AppError.databaseUnavailable();
      throw error;
    }
  }

  /**
   * Deliveries in the caller's transaction, with the outcomes they would
   * have had one after another in the order given: claimed (a delivery seen
   * before is a duplicate), applied, recorded.
   */
  async inTransaction(em: EntityManager, deliveries: PendingDelivery[]): Promise<DeliveryResult[]> {
    const batch: PendingDelivery[] = [];
    for (const pending of deliveries) batch.push({ ...pending, read: await this.findOrder(em, pending.source, pending.read) });
    const claims = await this.events.claim(em, batch);
    const claimed: ClaimedDelivery[] = [];
    batch.forEach((pending, i) => {
      const { recordId, orderAwaited } = claims[i];
      if (recordId !== undefined) claimed.push({ recordId, source: pending.source, read: pending.read, orderAwaited });
    });
    const applied = await this.applyClaimed(em, claimed);
    let next = 0;
    return batch.map((pending, i): DeliveryResult => {
      const eventId = pending.read.eventId;
      if (claims[i].recordId === undefined) return { event_id: eventId, status: 'duplicate' };
      const { status, reason, orderStatus } = applied[next++];
      const result: DeliveryResult = { event_id: eventId, status: status as DeliveryResult['status'] };
      if (reason) result.reason = reason;
      if (orderStatus) result.order_status = orderStatus;
      return result;
    });
  }

  /**
   * Applies claimed deliveries in order and records their outcomes. Runs of
   * deliveries that nothing waits for go to the domain together (one
   * statement for a run of creations); a delivery whose order has deliveries
   * waiting goes alone, and the waiting ones follow it (DeferredEvents)
   * before the next delivery, as they would one by one.
   */
  async applyClaimed(em: EntityManager, claimed: ClaimedDelivery[]): Promise<Applied[]> {
    const applied: Applied[] = [];
    const unrecorded: { id: string; status: DeliveryStatus; reason: string | null }[] = [];
    // What waits was learnt at the claim, under the order locks. (Batches hold creations only, which are
    // never deferred, so no delivery of a transaction waits for another of the same transaction.)
    const awaited = (delivery: ClaimedDelivery) => delivery.orderAwaited !== false;

    const runs: ClaimedDelivery[][] = [];
    for (let start = 0; start < claimed.length; ) {
      let end = start + 1;
      if (!awaited(claimed[start])) while (end < claimed.length && !awaited(claimed[end])) end++;
      runs.push(claimed.slice(start, end));
      start = end;
    }
    // Unless one statement moves all their stock (one run of creations, or one delivery of one command),
    // several would lock rows each in SKU order, but not in one order for the transaction (a gateway's
    // snapshot is an edit, then parcels, then a cancellation): all of them are locked first, together.
    const oneStatement =
      (claimed.length === 1 && claimed[0].read.commands.length <= 1) || (runs.length === 1 && claimed.every((delivery) => createsOrderOnly(delivery.read.commands)));
    if (!oneStatement) {
      await this.orders.lockStockOf(em, claimed.map((delivery) => ({ commands: delivery.read.commands, cause: this.causeOf(delivery) })));
    }

    for (const run of runs) {
      const outcomes = await this.outcomesOf(em, run);
      run.forEach((delivery, i) => {
        const outcome = outcomes[i];
        applied.push(outcome);
        if (differsFromClaim(outcome.status, outcome.reason)) unrecorded.push({ id: delivery.recordId, ...outcome });
      });
      if (run.length === 1 && awaited(run[0])) await this.releaseWaiting(em, run[0], applied, claimed, unrecorded);
    }
    await this.events.setOutcomes(em, unrecorded.splice(0));
    return applied;
  }

  /** The delivery behind its commands: its source, the sources whose orders it reaches, its record. */
  private causeOf(delivery: ClaimedDelivery): CommandCause {
    return { source: delivery.source, orderSources: this.sources.orderSourcesOf(delivery.source), webhookEventId: delivery.recordId };
  }

  private async outcomesOf(em: EntityManager, run: ClaimedDelivery[]): Promise<Applied[]> {
    const withCommands = run.filter((delivery) => delivery.read.commands.length > 0);
    const outcomes: OrderOutcome[] = await this.orders.apply(
      em,
      withCommands.map((delivery) => ({ commands: delivery.read.commands, cause: this.causeOf(delivery) })),
    );
    let next = 0;
    return run.map((delivery): Applied => {
      if (delivery.read.commands.length === 0) return { status: 'ignored', reason: delivery.read.ignoredReason ?? null };
      const outcome = outcomes[next++];
      return { status: deliveryStatusOf(outcome), reason: outcome.reason, orderStatus: outcome.status };
    });
  }

  /** After a delivery moved its order, the deliveries waiting for the order; the answers carry where it ended. */
  private async releaseWaiting(
    em: EntityManager,
    delivery: ClaimedDelivery,
    applied: Applied[],
    claimed: ClaimedDelivery[],
    unrecorded: { id: string; status: DeliveryStatus; reason: string | null }[],
  ): Promise<void> {
    const orderId = delivery.read.orderId;
    if (!orderId || applied[applied.length - 1].status !== 'processed') return;
    if (delivery.orderAwaited === undefined && (await this.events.ordersAwaited(em, [orderId])).length === 0) return;
    // The waiting deliveries read the event log: what this transaction decided so far is written first.
    await this.events.setOutcomes(em, unrecorded.splice(0));
    const finalStatus = await this.deferred.release(em, orderId);
    if (!finalStatus) return;
    applied.forEach((outcome, i) => {
      if (claimed[i].read.orderId === orderId && outcome.status === 'processed') outcome.orderStatus = finalStatus;
    });
  }

  /**
   * A delivery that names its order by the payment that paid it, with that
   * order (ReadDelivery.byPayment), looked for among the orders its source reaches.
   */
  async findOrder(em: EntityManager, source: string, read: ReadDelivery): Promise<ReadDelivery> {
    if (read.byPayment === undefined) return read;
    return withOrder(read, await this.orders.orderIdOfPayment(em, read.byPayment, this.sources.orderSourcesOf(source)), NO_ORDER_FOR_PAYMENT);
  }

}
