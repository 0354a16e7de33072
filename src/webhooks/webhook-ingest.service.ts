import { Inject, Injectable, Logger } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import type { Logger as PinoLogger } from 'pino';
import type { EntityManager } from 'typeorm';
import { PINO_LOGGER } from '../logging/logging.module.js';
import { AppError } from '../common/app-error.js';
import { AppConfig } from '../config/app-config.js';
import { BatchQueue } from '../common/batch-queue.js';
import { isDatabaseUnavailable, isRetryableTransactionError, sqlState } from '../database/pg-errors.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { type DeliveryOutcome, MetricsService } from '../metrics/metrics.service.js';
import { EVENT_HANDLERS, type EventHandler, type HandlerOutcome } from './event-handler.js';
import type { VerifiedDelivery } from './signature/signature.guard.js';
import { parseEnvelope } from './webhook-envelope.js';
import { type IncomingEvent, type StoredEvent, WebhookEventStore } from './webhook-event.store.js';
import { toEventView, type WebhookEventView } from './webhook-events.service.js';

export interface DeliveryResult {
  event_id: string;
  status: 'processed' | 'duplicate' | 'ignored' | 'deferred';
  reason?: string;
  order_status?: string;
}

export const UNKNOWN_EVENT_TYPE = 'unknown_event_type';
const REPLAYABLE = new Set(['failed', 'ignored']);

/** A stored event about to be applied: which record, for which order, and what to do. */
interface ClaimedEvent {
  id: string;
  source: string;
  type: string;
  orderId: string | null;
  command: unknown;
}

/** A verified, parsed delivery on its way to be claimed. */
interface PendingDelivery {
  event: IncomingEvent;
  command: unknown;
}

/** shelfsync_create_orders asks for this (SQLSTATE SS001) when a batch must be applied one delivery at a time. */
function isOneByOneRequest(error: unknown): boolean {
  return sqlState(error) === 'SS001';
}

/**
 * Group commit limits, measured with `npm run bench`: batches of up to this
 * many deliveries, this many in flight at once (each holds one connection).
 */
const MAX_BATCH = 64;
const MAX_IN_FLIGHT = 2;

/**
 * The path of one verified delivery: parse and validate (400 before any
 * write), then one transaction that claims the event id, applies the event
 * and records its outcome. The answer is sent only after that commit.
 * Replays of stored deliveries take the same path.
 */
@Injectable()
export class WebhookIngestService {
  private readonly logger = new Logger('Webhooks');
  private readonly handlers: Map<string, EventHandler>;
  /** A group-commit queue for each event type whose handler applies batches. */
  private readonly batches = new Map<string, BatchQueue<PendingDelivery, DeliveryResult>>();

  constructor(
    private readonly transactions: TransactionRunner,
    private readonly events: WebhookEventStore,
    private readonly metrics: MetricsService,
    @Inject(PINO_LOGGER) private readonly log: PinoLogger,
    @Inject(EVENT_HANDLERS) handlers: EventHandler[],
    config: AppConfig,
  ) {
    this.handlers = new Map(handlers.map((h) => [h.type, h]));
    for (const handler of handlers) {
      if (!handler.applyBatch) continue;
      const queue = new BatchQueue((batch: PendingDelivery[]) => this.ingestBatch(batch), {
        maxBatch: MAX_BATCH,
        maxInFlight: MAX_IN_FLIGHT,
        // Waiting for a turn is waiting for a connection: as long as the pool lets a request wait for one.
        maxWaitMs: config.dbConnectTimeoutMs,
        timeoutError: () => AppError.databaseUnavailable(),
      });
      this.batches.set(handler.type, queue);
    }
  }

  async receive(delivery: VerifiedDelivery, headers: IncomingHttpHeaders, requestId?: string): Promise<DeliveryResult> {
    const started = performance.now();
    const seen: { type?: string; eventId?: string } = {};
    const record = (outcome: DeliveryOutcome) => {
      const seconds = (performance.now() - started) / 1000;
      this.metrics.recordDelivery(delivery.source.name, this.typeLabel(seen.type), outcome, seconds);
      // One line per delivery: what it was and what became of it, never its body.
      this.log[outcome === 'failed' ? 'error' : outcome === 'invalid' || outcome === 'unavailable' ? 'warn' : 'info'](
        {
          request_id: requestId,
          source: delivery.source.name,
          event_id: seen.eventId,
          event_type: seen.type,
          outcome,
          duration_ms: Math.round(seconds * 10_000) / 10,
        },
        'delivery',
      );
    };
    try {
      const result = await this.ingest(delivery, headers, seen);
      record(result.status);
      return result;
    } catch (error) {
      const status = error instanceof AppError ? error.status : 500;
      record(status === 503 ? 'unavailable' : status < 500 ? 'invalid' : 'failed');
      throw error;
    }
  }

  /** Event types label metrics only when the service knows them, so a sender cannot add label values at will. */
  private typeLabel(type: string | undefined): string {
    if (type === undefined) return 'unparsed';
    return this.handlers.has(type) ? type : 'other';
  }

  private async ingest(
    delivery: VerifiedDelivery,
    headers: IncomingHttpHeaders,
    seen: { type?: string; eventId?: string },
  ): Promise<DeliveryResult> {
    const envelope = parseEnvelope(delivery.rawBody, headers);
    seen.type = envelope.type;
    seen.eventId = envelope.eventId;
    const handler = this.handlers.get(envelope.type);
    const command = handler?.parse(envelope.data);
    const event: IncomingEvent = {
      source: delivery.source.name,
      eventId: envelope.eventId,
      idIsSigned: delivery.scheme === 'standard-webhooks',
      eventType: envelope.type,
      orderId: handler ? handler.orderIdOf(command) : null,
      headers,
      rawBody: delivery.rawBody,
    };
    const pending = { event, command };
    return this.batches.get(event.eventType)?.push(pending) ?? this.ingestOne(pending);
  }

  /** One delivery in a transaction of its own. */
  private async ingestOne(pending: PendingDelivery): Promise<DeliveryResult> {
    try {
      const [result] = await this.transactions.run((em) => this.claimAndApply(em, [pending]));
      return result;
    } catch (error) {
      // Unreachable database, or contention that outlasted the retries: the sender should try again.
      if (isDatabaseUnavailable(error) || isRetryableTransactionError(error)) throw AppError.databaseUnavailable();
      await this.keepFailedDelivery(pending.event, error);
      throw error;
    }
  }

  /**
   * Concurrent deliveries of one batchable type in one transaction (group
   * commit), each answered after its commit. When one of them breaks the
   * transaction, each is tried again on its own, so that only that one fails.
   */
  private async ingestBatch(batch: PendingDelivery[]): Promise<PromiseSettledResult<DeliveryResult>[]> {
    this.metrics.recordBatch(batch.length);
    if (batch.length === 1) return Promise.allSettled([this.ingestOne(batch[0])]);
    try {
      const results = await this.transactions.run((em) => this.claimAndApply(em, batch));
      return results.map((value) => ({ status: 'fulfilled', value }));
    } catch (error) {
      if (isDatabaseUnavailable(error) || isRetryableTransactionError(error)) {
        const unavailable = AppError.databaseUnavailable();
        return batch.map(() => ({ status: 'rejected', reason: unavailable }));
      }
      if (!isOneByOneRequest(error)) {
        this.logger.warn(`a batch of ${batch.length} deliveries failed (${String(error)}); applying each on its own`);
      }
      // In arrival order, one after another, as they would have been without the batch.
      const results: PromiseSettledResult<DeliveryResult>[] = [];
      for (const pending of batch) {
        try {
          results.push({ status: 'fulfilled', value: await this.ingestOne(pending) });
        } catch (reason) {
          results.push({ status: 'rejected', reason });
        }
      }
      return results;
    }
  }

  /** Claims deliveries (of one event type) and applies those that are new; the rest are duplicates. */
  private async claimAndApply(em: EntityManager, batch: PendingDelivery[]): Promise<DeliveryResult[]> {
    const ids = await this.events.claimMany(
      em,
      batch.map((pending) => pending.event),
    );
    const claimed = batch.flatMap(({ event, command }, i) => {
      const id = ids[i];
      return id === undefined ? [] : [{ id, source: event.source, type: event.eventType, orderId: event.orderId, command }];
    });
    const outcomes = await this.applyAndRecord(em, claimed);
    let next = 0;
    return batch.map(({ event }, i): DeliveryResult => {
      if (ids[i] === undefined) return { event_id: event.eventId, status: 'duplicate' };
      const outcome = outcomes[next++];
      const result: DeliveryResult = { event_id: event.eventId, status: outcome.status };
      if (outcome.reason) result.reason = outcome.reason;
      if (outcome.orderStatus) result.order_status = outcome.orderStatus;
      return result;
    });
  }

  /**
   * POST /webhook-events/:id/replay: applies a failed or ignored delivery
   * again, as if it had just arrived. A replay that fails leaves the event
   * `failed` with the new error; either way the answer is the event as it now is.
   */
  async replay(id: string): Promise<WebhookEventView> {
    try {
      return await this.transactions.run(async (em) => {
        const stored = await this.events.find(em, id, { lock: true });
        if (!stored) throw AppError.notFound(`no webhook event ${id}`);
        if (!REPLAYABLE.has(stored.status)) {
          throw AppError.conflict(`only failed or ignored events can be replayed; event ${id} is ${stored.status}`);
        }
        await this.events.claimForReplay(em, id);
        const handler = this.handlers.get(stored.event_type);
        const command = handler?.parse(parseEnvelope(stored.raw_body, {}).data);
        await this.applyAndRecord(em, [{ id, source: stored.source, type: stored.event_type, orderId: stored.order_id, command }]);
        return toEventView((await this.events.find(em, id))!);
      });
    } catch (error) {
      // 404 and 409 are about the request; a stored body that no longer validates (400) is this attempt failing.
      if (error instanceof AppError && error.status !== 400) throw error;
      if (isDatabaseUnavailable(error) || isRetryableTransactionError(error)) throw AppError.databaseUnavailable();
      const message = error instanceof Error ? error.message : String(error);
      await this.transactions.run((em) => this.events.recordReplayFailure(em, id, message.slice(0, 2000)));
      return this.transactions.run(async (em) => toEventView((await this.events.find(em, id))!));
    }
  }

  /**
   * Applies claimed events of one type with their handler (all together when
   * it can) and records their outcomes on their records. When they moved
   * orders, those orders' deferred events follow, and the outcomes carry the
   * statuses the orders ended in.
   */
  private async applyAndRecord(em: EntityManager, events: ClaimedEvent[]): Promise<HandlerOutcome[]> {
    if (events.length === 0) return [];
    const handler = this.handlers.get(events[0].type);
    const contextOf = (event: ClaimedEvent) => ({ source: event.source, webhookEventId: event.id });
    let outcomes: HandlerOutcome[] = [];
    if (!handler) {
      outcomes = events.map(() => ({ status: 'ignored', reason: UNKNOWN_EVENT_TYPE }));
    } else if (handler.applyBatch) {
      outcomes = await handler.applyBatch(
        em,
        events.map((event) => ({ command: event.command, context: contextOf(event) })),
      );
    } else {
      for (const event of events) outcomes.push(await handler.apply(em, event.command, contextOf(event)));
    }
    // The claim recorded `processed` already: only another outcome, or a reason, needs writing.
    await this.events.setOutcomes(
      em,
      events.flatMap((event, i) => {
        const { status, reason } = outcomes[i];
        return status !== 'processed' || reason ? [{ id: event.id, status, reason }] : [];
      }),
    );
    // Orders they moved may have events waiting for them: some handlers know already, the rest are looked up.
    const moved = new Map<string, boolean | undefined>();
    events.forEach((event, i) => {
      if (outcomes[i].status === 'processed' && event.orderId) moved.set(event.orderId, outcomes[i].waiting);
    });
    const found = new Set(await this.events.ordersWithDeferred(em, [...moved].filter(([, known]) => known === undefined).map(([id]) => id)));
    for (const [orderId, known] of moved) {
      if (!(known ?? found.has(orderId))) continue;
      const finalStatus = await this.applyDeferred(em, orderId);
      if (!finalStatus) continue;
      outcomes = outcomes.map((outcome, i) =>
        events[i].orderId === orderId && outcome.status === 'processed' ? { ...outcome, orderStatus: finalStatus } : outcome,
      );
    }
    return outcomes;
  }

  /**
   * Applies the order's deferred events that its new status allows, in
   * lifecycle order (not arrival order), until none can move it further.
   * Those that can never apply any more are recorded as ignored. Each runs in
   * a savepoint: one that fails is kept as `failed` (replayable) without
   * failing the delivery that released it, and the rest of the order's queue
   * waits behind it. Returns the order's status after the last one applied.
   */
  private async applyDeferred(em: EntityManager, orderId: string): Promise<string | undefined> {
    let finalStatus: string | undefined;
    for (let progressed = true; progressed; ) {
      progressed = false;
      const waiting = (await this.events.findDeferred(em, orderId)).sort(
        (a, b) => this.rankOf(a.event_type) - this.rankOf(b.event_type) || Number(a.id) - Number(b.id),
      );
      for (const stored of waiting) {
        const outcome = await this.applyInSavepoint(em, stored);
        // A failed step stops the order's queue: the events after it wait, rather than apply to a status
        // the lifecycle would never have given them. Replaying the failed one resumes the queue.
        if (!outcome) return finalStatus;
        if (outcome.status === 'deferred') {
          if (outcome.reason !== stored.reason) await this.events.setOutcome(em, stored.id, 'deferred', outcome.reason);
          continue;
        }
        await this.events.setOutcome(em, stored.id, outcome.status, outcome.reason);
        if (outcome.status === 'processed') {
          finalStatus = outcome.orderStatus;
          progressed = true;
          break;
        }
      }
    }
    return finalStatus;
  }

  private rankOf(type: string): number {
    return this.handlers.get(type)?.deferralRank ?? Number.MAX_SAFE_INTEGER;
  }

  /** One deferred event, isolated: undefined when it failed (and was marked so). */
  private async applyInSavepoint(em: EntityManager, stored: StoredEvent): Promise<HandlerOutcome | undefined> {
    const handler = this.handlers.get(stored.event_type);
    if (!handler) return undefined;
    await em.query('SAVEPOINT deferred_event');
    try {
      const command = handler.parse(parseEnvelope(stored.raw_body, {}).data);
      const outcome = await handler.apply(em, command, { source: stored.source, webhookEventId: stored.id });
      await em.query('RELEASE SAVEPOINT deferred_event');
      return outcome;
    } catch (error) {
      // A lost connection or a deadlock concerns the whole transaction, not this event.
      if (isDatabaseUnavailable(error) || isRetryableTransactionError(error)) throw error;
      await em.query('ROLLBACK TO SAVEPOINT deferred_event');
      const message = error instanceof Error ? error.message : String(error);
      this.logger.warn(`deferred event ${stored.source}/${stored.event_id} failed: ${message}`);
      await this.events.markFailed(em, stored.id, message.slice(0, 2000));
      return undefined;
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
