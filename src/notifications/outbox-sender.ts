import { type BeforeApplicationShutdown, Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import { AppConfig } from '../config/app-config.js';
import { PINO_LOGGER } from '../logging/logging.module.js';
import { attemptDelivery, type AttemptResult, outcomeOf } from './outbox-delivery.js';
import { OutboxMetrics } from './outbox-metrics.js';
import { TransactionRunner } from '../database/transaction-runner.js';

/** Messages claimed by one statement at most. */
export const CLAIM_BATCH = 20;
/** Attempts in flight in one instance at most, over all endpoints. */
export const MAX_IN_FLIGHT = 32;
/** Attempts in flight to one endpoint from one instance at most: a slow or dead endpoint holds this many, never the rest. */
export const MAX_IN_FLIGHT_PER_ENDPOINT = 4;
/** A claimed message is leased for the timeout and this much more; an instance that dies meanwhile leaves it due again then. */
export const LEASE_MARGIN_MS = 5_000;

interface Claimed {
  id: string;
  endpoint_id: string;
  message_id: string;
  event_type: string;
  body: string;
  attempts: number;
  url: string;
  secrets: string[];
}

/**
 * The outbox's sender, one in every instance: claims due messages with
 * SKIP LOCKED and leases them in one short statement, sends each over HTTP
 * holding no database connection, then records the outcome in another.
 * A crash between send and record leaves the lease to expire: one more
 * attempt, never none. Database connections: one for a claim and one for
 * outcomes (recorded one at a time), so at most two of the pool.
 */
@Injectable()
export class OutboxSender implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private readonly inFlight = new Map<string, number>();
  private total = 0;
  private readonly sends = new Set<Promise<void>>();
  private recording: Promise<unknown> = Promise.resolve();
  private readonly pollMs: number;

  constructor(
    private readonly transactions: TransactionRunner,
    private readonly config: AppConfig,
    private readonly metrics: OutboxMetrics,
    @Inject(PINO_LOGGER) private readonly logger: Logger,
  ) {
    // Due work is looked for this often: at most a second, sooner when the schedule's steps are shorter.
    this.pollMs = Math.max(50, Math.min(1000, Math.floor(Math.min(...config.notifyRetryScheduleMs) / 2)));
  }

  onApplicationBootstrap(): void {
    this.running = true;
    this.schedule(0);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.polling;
    // Attempts under way end within the timeout, and their outcomes are recorded before the pool closes.
    await Promise.allSettled([...this.sends]);
    await this.recording.catch(() => undefined);
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.polling = this.poll().finally(() => (this.polling = undefined));
    }, delayMs);
  }

  private async poll(): Promise<void> {
    let full = false;
    try {
      const free = MAX_IN_FLIGHT - this.total;
      if (free > 0) {
        const claimed = await this.claim(Math.min(CLAIM_BATCH, free));
        full = claimed.length === Math.min(CLAIM_BATCH, free);
        for (const message of claimed) this.start(message);
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'notifications: claiming due messages failed; trying again');
    }
    this.schedule(full ? 0 : this.pollMs);
  }

  /**
   * Due messages of enabled endpoints, oldest due first, at most `limit` and
   * at most what each endpoint's cap leaves free here, locked SKIP LOCKED and
   * leased (next attempt after the timeout and a margin, attempts counted)
   * by the one statement, which commits at once.
   */
  private async claim(limit: number): Promise<Claimed[]> {
    const busy = Object.fromEntries(this.inFlight);
    return this.transactions.query<Claimed[]>(
      `WITH endpoints AS (
         -- each enabled endpoint with room under its cap in this instance: one at its cap is passed over,
         -- so its backlog, however long, never hides the other endpoints' messages
         SELECT e.id, $3::int - coalesce(($4::jsonb ->> e.id::text)::int, 0) AS free
           FROM notification_endpoints e WHERE e.status = 'enabled'
       ), candidates AS (
         SELECT m.id, m.next_attempt_at FROM endpoints e
          CROSS JOIN LATERAL (
            SELECT n.id, n.next_attempt_at FROM notifications n
             WHERE n.endpoint_id = e.id AND n.status = 'pending' AND n.next_attempt_at <= now()
             ORDER BY n.next_attempt_at, n.id
             LIMIT e.free
             FOR UPDATE OF n SKIP LOCKED) AS m
          WHERE e.free > 0
       ), chosen AS (
         SELECT id FROM candidates ORDER BY next_attempt_at, id LIMIT $1
       )
       UPDATE notifications n
          SET attempts = n.attempts + 1, next_attempt_at = now() + make_interval(secs => $2::float8 / 1000)
         FROM notification_endpoints e
        WHERE n.id IN (SELECT id FROM chosen) AND e.id = n.endpoint_id
       RETURNING n.id::text AS id, n.endpoint_id::text AS endpoint_id, n.message_id, n.event_type, n.body, n.attempts, e.url,
                 shelfsync_signing_secrets(e.secret, e.previous_secret, e.previous_secret_until) AS secrets`,
      [limit, this.config.notifyTimeoutMs + LEASE_MARGIN_MS, MAX_IN_FLIGHT_PER_ENDPOINT, JSON.stringify(busy)],
    );
  }

  private start(message: Claimed): void {
    this.total++;
    this.inFlight.set(message.endpoint_id, (this.inFlight.get(message.endpoint_id) ?? 0) + 1);
    const send = this.send(message)
      .catch((error: unknown) => this.logger.error({ err: error, message_id: message.message_id }, 'notifications: recording an attempt failed'))
      .finally(() => {
        this.total--;
        const left = (this.inFlight.get(message.endpoint_id) ?? 1) - 1;
        if (left === 0) this.inFlight.delete(message.endpoint_id);
        else this.inFlight.set(message.endpoint_id, left);
        this.sends.delete(send);
      });
    this.sends.add(send);
  }

  private async send(message: Claimed): Promise<void> {
    const started = Date.now();
    const result = await attemptDelivery({
      url: message.url,
      messageId: message.message_id,
      body: message.body,
      secrets: message.secrets,
      timeoutMs: this.config.notifyTimeoutMs,
      allowPrivateNetworks: this.config.notifyAllowPrivateNetworks,
    });
    const outcome = outcomeOf(result, message.attempts, this.config.notifyRetryScheduleMs);
    const statusCode = result.kind === 'answered' ? result.statusCode : null;
    const record = this.recording.catch(() => undefined).then(() => this.record(message, result, outcome));
    this.recording = record;
    await record;
    this.metrics.recordAttempt(outcome.kind);
    this.logger.info(
      {
        message_id: message.message_id,
        endpoint_id: message.endpoint_id,
        event_type: message.event_type,
        attempt: message.attempts,
        outcome: outcome.kind,
        status_code: statusCode,
        duration_ms: Date.now() - started,
        ...(result.kind === 'error' ? { error: result.error } : {}),
      },
      'notification attempt',
    );
  }

  /** The outcome, in one statement of its own; only while the message is still this attempt's (pending, not claimed again since a lease ran out). */
  private async record(message: Claimed, result: AttemptResult, outcome: ReturnType<typeof outcomeOf>): Promise<void> {
    const statusCode = result.kind === 'answered' ? result.statusCode : null;
    const error =
      result.kind === 'error'
        ? result.error
        : statusCode !== null && (statusCode < 200 || statusCode >= 300)
          ? `HTTP ${statusCode}${result.body ? `: ${result.body}` : ''}`.slice(0, 4200)
          : null;
    switch (outcome.kind) {
      case 'delivered':
        await this.transactions.query(
          `UPDATE notifications SET status = 'delivered', delivered_at = now(), last_status_code = $2, last_error = NULL
            WHERE id = $1 AND status = 'pending' AND attempts = $3`,
          [message.id, statusCode, message.attempts],
        );
        return;
      case 'gone':
        // The endpoint is disabled, and its messages (this one included) wait, pending, until it is enabled again.
        await this.transactions.query(
          `WITH disabled AS (
             UPDATE notification_endpoints
                SET status = 'disabled', updated_at = now(),
                    status_reason = 'answered 410 Gone to message ' || $3 || ' at ' || to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
              WHERE id = $2 AND status = 'enabled')
           UPDATE notifications SET next_attempt_at = now(), last_status_code = 410, last_error = $4
            WHERE id = $1 AND status = 'pending' AND attempts = $5`,
          [message.id, message.endpoint_id, message.message_id, error, message.attempts],
        );
        return;
      case 'retry':
        await this.transactions.query(
          `UPDATE notifications SET next_attempt_at = now() + make_interval(secs => $2::float8 / 1000), last_status_code = $3, last_error = $4
            WHERE id = $1 AND status = 'pending' AND attempts = $5`,
          [message.id, outcome.delayMs, statusCode, error, message.attempts],
        );
        return;
      case 'failed':
        await this.transactions.query(
          `UPDATE notifications SET status = 'failed', last_status_code = $2, last_error = $3 WHERE id = $1 AND status = 'pending' AND attempts = $4`,
          [message.id, statusCode, error, message.attempts],
        );
        return;
    }
  }
}
