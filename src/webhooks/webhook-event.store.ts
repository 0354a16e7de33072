import { Injectable } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import type { EntityManager } from 'typeorm';
import type { WebhookEventStatus } from './webhook-event-status.js';

export interface IncomingEvent {
  source: string;
  eventId: string;
  /**
   * True when the event id is covered by the signature (Standard Webhooks'
   * webhook-id): then it alone decides what is a duplicate. Otherwise the
   * body's bytes do too, so an unsigned header cannot make a resent capture new.
   */
  idIsSigned: boolean;
  eventType: string;
  orderId: string | null;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
}

const SUMMARY_COLUMNS =
  'id, source, event_id, event_type, order_id, status, reason, attempts, last_error, received_at, processed_at';

export interface EventListQuery {
  status?: WebhookEventStatus;
  eventType?: string;
  source?: string;
  /** Only deliveries received in the last this many minutes. */
  sinceMinutes?: number;
  afterId?: string;
  limit: number;
}

export interface WebhookEventRow {
  id: string;
  source: string;
  event_id: string;
  event_type: string;
  order_id: string | null;
  status: WebhookEventStatus;
  reason: string | null;
  attempts: number;
  last_error: string | null;
  received_at: Date;
  processed_at: Date | null;
}

export interface WebhookEventDetailRow extends WebhookEventRow {
  headers: Record<string, string>;
  raw_body: Buffer;
}

export interface StoredEvent {
  id: string;
  source: string;
  event_id: string;
  event_type: string;
  reason: string | null;
  raw_body: Buffer;
}

/** Headers that may carry credentials of the sender's own; never stored. */
const UNSTORED_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);

function storableHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || UNSTORED_HEADERS.has(name)) continue;
    kept[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return kept;
}

/** The record of every verified delivery: the dedupe key, its bytes and headers, and its outcome. */
@Injectable()
export class WebhookEventStore {
  /**
   * Claims deliveries inside the caller's transaction, provisionally as
   * `processed` (the common outcome, so it needs no second write; any other
   * outcome is recorded by setOutcome in the same transaction). Returns each record's
   * id, or undefined for a duplicate: its event id, or its very bytes,
   * were seen on this source before (the bytes too, because an unsigned
   * `webhook-id` could otherwise make a replayed capture pass for a new event
   * and take a future event's id). A delivery that failed before is claimed
   * again (its attempts counted), so a retry can apply it. A concurrent claim
   * of the same event waits here until the first commits. Several deliveries
   * are claimed as if one after another in the order given: of two deliveries
   * of one event, the first is claimed and the second is its duplicate.
   */
  async claimMany(em: EntityManager, events: IncomingEvent[]): Promise<(string | undefined)[]> {
    // One database function (migrations/1764200000000-hot-path-functions.ts): an insert of them all,
    // then, only when some were seen before, an update of those whose last attempt failed.
    const [{ ids }] = await em.query<{ ids: (string | null)[] }[]>(
      `SELECT shelfsync_claim_events($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::bytea[], $7::boolean[]) AS ids`,
      [
        events.map((e) => e.source),
        events.map((e) => e.eventId),
        events.map((e) => e.eventType),
        events.map((e) => e.orderId),
        events.map((e) => JSON.stringify(storableHeaders(e.headers))),
        events.map((e) => e.rawBody),
        events.map((e) => e.idIsSigned),
      ],
    );
    return ids.map((id) => id ?? undefined);
  }

  async setOutcome(em: EntityManager, id: string, status: WebhookEventStatus, reason: string | null): Promise<void> {
    await this.setOutcomes(em, [{ id, status, reason }]);
  }

  async setOutcomes(em: EntityManager, outcomes: { id: string; status: WebhookEventStatus; reason: string | null }[]): Promise<void> {
    if (outcomes.length === 0) return;
    // processed_at: when it was applied or set aside for good; a deferred event has not been, yet.
    await em.query(
      `UPDATE webhook_events w
          SET status = o.status, reason = o.reason,
              processed_at = CASE WHEN o.status IN ('processed', 'ignored') THEN now() END
         FROM unnest($1::bigint[], $2::text[], $3::text[]) AS o(id, status, reason)
        WHERE w.id = o.id`,
      [outcomes.map((o) => o.id), outcomes.map((o) => o.status), outcomes.map((o) => o.reason)],
    );
  }

  /** Deliveries newest first, after the keyset position `afterId`, optionally of one status. */
  async list(em: EntityManager, query: EventListQuery): Promise<WebhookEventRow[]> {
    const conditions: string[] = [];
    const params: unknown[] = [];
    if (query.status) conditions.push(`status = $${params.push(query.status)}`);
    if (query.eventType) conditions.push(`event_type = $${params.push(query.eventType)}`);
    if (query.source) conditions.push(`source = $${params.push(query.source)}`);
    if (query.sinceMinutes) conditions.push(`received_at > now() - make_interval(mins => $${params.push(query.sinceMinutes)})`);
    if (query.afterId) conditions.push(`id < $${params.push(query.afterId)}::bigint`);
    return em.query(
      `SELECT ${SUMMARY_COLUMNS} FROM webhook_events
        ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''}
        ORDER BY id DESC LIMIT $${params.push(query.limit)}`,
      params,
    );
  }

  /** Deliveries per minute and status over the last `minutes`, for the console's chart. */
  async countPerMinute(em: EntityManager, minutes: number): Promise<{ minute: Date; status: WebhookEventStatus; n: number }[]> {
    return em.query(
      `SELECT date_trunc('minute', received_at) AS minute, status, count(*)::int AS n
         FROM webhook_events WHERE received_at > now() - make_interval(mins => $1)
        GROUP BY 1, 2 ORDER BY 1`,
      [minutes],
    );
  }

  async find(em: EntityManager, id: string, options: { lock?: boolean } = {}): Promise<WebhookEventDetailRow | undefined> {
    const rows: WebhookEventDetailRow[] = await em.query(
      `SELECT ${SUMMARY_COLUMNS}, headers, raw_body FROM webhook_events WHERE id = $1${options.lock ? ' FOR UPDATE' : ''}`,
      [id],
    );
    return rows[0];
  }

  /** A replay is one more attempt at the stored delivery, provisionally `processed` as a fresh claim is. */
  async claimForReplay(em: EntityManager, id: string): Promise<void> {
    await em.query(
      `UPDATE webhook_events
          SET attempts = attempts + 1, status = 'processed', reason = NULL, last_error = NULL, processed_at = now()
        WHERE id = $1`,
      [id],
    );
  }

  /** A deferred event that failed when its turn came: kept with the error, out of the queue, replayable. */
  async markFailed(em: EntityManager, id: string, error: string): Promise<void> {
    await em.query(`UPDATE webhook_events SET status = 'failed', reason = NULL, last_error = $2 WHERE id = $1`, [id, error]);
  }

  async recordReplayFailure(em: EntityManager, id: string, error: string): Promise<void> {
    await em.query(
      `UPDATE webhook_events SET attempts = attempts + 1, status = 'failed', reason = NULL, last_error = $2 WHERE id = $1`,
      [id, error],
    );
  }

  /** Those of `orderIds` that have events waiting for them. */
  async ordersWithDeferred(em: EntityManager, orderIds: string[]): Promise<string[]> {
    if (orderIds.length === 0) return [];
    const rows: { order_id: string }[] = await em.query(
      `SELECT DISTINCT order_id FROM webhook_events WHERE order_id = ANY($1::text[]) AND status = 'deferred'`,
      [orderIds],
    );
    return rows.map((row) => row.order_id);
  }

  /** The order's events waiting for it, oldest first (the caller decides the order to try them in). */
  async findDeferred(em: EntityManager, orderId: string): Promise<StoredEvent[]> {
    return em.query(
      `SELECT id, source, event_id, event_type, reason, raw_body FROM webhook_events
        WHERE order_id = $1 AND status = 'deferred' ORDER BY id`,
      [orderId],
    );
  }

  /**
   * Keeps a delivery whose handler failed, with the error, so it can be seen
   * and replayed. Runs in its own transaction after the failed one rolled back.
   */
  async recordFailure(em: EntityManager, event: IncomingEvent, error: string): Promise<void> {
    const params = [
      event.source,
      event.eventId,
      event.eventType,
      event.orderId,
      storableHeaders(event.headers),
      event.rawBody,
      error,
      event.idIsSigned,
    ];
    const fresh: unknown[] = await em.query(
      `INSERT INTO webhook_events (source, event_id, event_type, order_id, status, headers, raw_body, body_sha256, last_error)
       VALUES ($1, $2, $3, $4, 'failed', $5, $6, CASE WHEN $8 THEN NULL ELSE sha256($6) END, $7)
       ON CONFLICT DO NOTHING
       RETURNING id`,
      params,
    );
    if (fresh.length) return;
    await em.query(
      `UPDATE webhook_events
          SET attempts = attempts + 1, last_error = $7, event_type = $3, order_id = $4, headers = $5, raw_body = $6,
              body_sha256 = CASE WHEN $8 THEN NULL ELSE sha256($6) END
        WHERE source = $1 AND (event_id = $2 OR (NOT $8 AND body_sha256 = sha256($6))) AND status = 'failed'`,
      params,
    );
  }
}
