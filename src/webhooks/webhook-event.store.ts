import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { EntityManager } from 'typeorm';
import { CLAIMED_AS, type DeliveryStatus, isSettled } from './delivery-status.js';
import { errorMessage } from '../common/error-message.js';

/** A verified delivery as the event log records it: where from, its bytes and headers, and what it was read as. */
export interface IncomingEvent {
  source: string;
  /**
   * True when the event id is covered by the signature (Standard Webhooks'
   * webhook-id): then it alone decides what is a duplicate. Otherwise the
   * body's bytes do too, so an unsigned header cannot make a resent capture new.
   */
  idIsSigned: boolean;
  /**
   * Where the bytes decide duplicates: true when identical bytes are one
   * event only under the same event type (Provider.bytesPerType).
   */
  bytesPerType: boolean;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
  read: { eventId: string; eventType: string; orderId: string | null };
}

const SUMMARY_COLUMNS =
  'id, source, event_id, event_type, order_id, status, reason, attempts, last_error, received_at, processed_at';

export interface EventListQuery {
  status?: DeliveryStatus;
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
  status: DeliveryStatus;
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
  headers: Record<string, string>;
  raw_body: Buffer;
}

/** A claimed delivery's record (undefined for a duplicate), and whether deferred deliveries wait for its order. */
export interface Claim {
  recordId?: string;
  orderAwaited: boolean;
}

/** Headers that may carry credentials of the sender's own; never stored. */
const UNSTORED_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);

function storableHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || UNSTORED_HEADERS.has(name)) continue;
    // a name is a token (Node's parser refuses anything else); a value is whatever the sender wrote
    kept[name] = storableText(Array.isArray(value) ? value.join(', ') : value);
  }
  return kept;
}

/** The most of an error's text kept in last_error, in UTF-16 code units. */
export const ERROR_TEXT_LIMIT = 2000;

/**
 * Text as PostgreSQL can store it (text and jsonb): a NUL or a lone half of
 * a surrogate pair becomes U+FFFD, the rest is left as it is. A delivery is
 * kept whatever its sender or its failure put in it.
 */
function storableText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return /[\u0000\ud800-\udfff]/.test(text) ? text.toWellFormed().replaceAll('\u0000', '\ufffd') : text;
}

/** The longest event or order id kept as it is (an index key has a bound of about 2.7 kB). */
const KEY_LIMIT = 512;

/** An id as the event log keeps it: storable, and past KEY_LIMIT its head and the digest of the whole (still one key per id). */
function storableKey(id: string): string {
  const clean = storableText(id);
  if (clean.length <= KEY_LIMIT) return clean;
  return `${storableText(clean.slice(0, KEY_LIMIT / 2))}...sha256:${createHash('sha256').update(clean).digest('hex')}`;
}

/** What last_error keeps of a failure: its message, storable, at most ERROR_TEXT_LIMIT long (a pair cut in two loses its half). */
function failureText(error: unknown): string {
  const message = errorMessage(error);
  return storableText(message.slice(0, ERROR_TEXT_LIMIT));
}

/**
 * A failed attempt to keep: a delivery as it came (recorded by the claim's
 * rules: a new record, or the failed record it retries taken up again), or a
 * stored one by its record id; `newAttempt` when the failure ends an attempt
 * of its own (a replay), not the one that left the delivery deferred.
 */
export type FailedAttempt = { delivery: IncomingEvent } | { recordId: string; newAttempt: boolean };

/** The record of every verified delivery: the dedupe key, its bytes and headers, and its outcome. */
@Injectable()
export class WebhookEventStore {
  /**
   * Claims deliveries inside the caller's transaction, as if one after
   * another in the order given (src/webhooks/sql/claim_deliveries.sql): a new
   * one is recorded provisionally as CLAIMED_AS (any other outcome is
   * recorded by setOutcomes in the same transaction); one seen before whose
   * last attempt failed is taken up again; the others are duplicates. Each
   * claimed delivery holds its order's lock from here on.
   */
  async claim(em: EntityManager, events: IncomingEvent[]): Promise<Claim[]> {
    return this.record(em, events, CLAIMED_AS, null);
  }

  /**
   * Keeps a failed attempt, with the error, so it can be seen and replayed:
   * the one record of a failure, whatever failed and whatever its error
   * says (failureText), in the caller's transaction (after the failed work
   * rolled back, or was rolled back to its savepoint).
   */
  async recordFailed(em: EntityManager, attempt: FailedAttempt, error: unknown): Promise<void> {
    if ('delivery' in attempt) await this.record(em, [attempt.delivery], 'failed', failureText(error));
    else await this.recordAttempt(em, attempt.recordId, 'failed', failureText(error), attempt.newAttempt);
  }

  /** The bookkeeping of one attempt of a stored delivery (src/webhooks/sql/delivery_attempts.sql). */
  private async recordAttempt(
    em: EntityManager,
    id: string,
    status: DeliveryStatus,
    error: string | null,
    newAttempt: boolean,
    orderId: string | null = null,
  ): Promise<void> {
    await em.query(
      `SELECT shelfsync_record_attempt(
         p_ids => ARRAY[$1::bigint], p_status => $2, p_settled => $3, p_error => $4, p_new_attempt => $5, p_order_id => $6)`,
      [id, status, isSettled(status), error, newAttempt, orderId === null ? null : storableKey(orderId)],
    );
  }

  private async record(em: EntityManager, events: IncomingEvent[], status: DeliveryStatus, error: string | null): Promise<Claim[]> {
    // Each body is a bytea parameter of its own, sent as its bytes: inside an array parameter node-postgres
    // would write every body out as hex text, twice its size, into one string.
    const bodies = events.map((e, i) => `$${i + 5}::bytea`).join(', ');
    const rows = await em.query<{ record_id: string | null; order_awaited: boolean }[]>(
      `SELECT record_id, order_awaited FROM shelfsync_claim_deliveries(
         p_deliveries => $1::jsonb, p_raw_bodies => ARRAY[${bodies}]::bytea[], p_status => $2, p_settled => $3, p_error => $4)
        ORDER BY delivery`,
      [
        JSON.stringify(
          events.map((e) => ({
            source: e.source,
            event_id: storableKey(e.read.eventId),
            event_type: storableKey(e.read.eventType),
            order_id: e.read.orderId === null ? null : storableKey(e.read.orderId),
            headers: storableHeaders(e.headers),
            id_is_signed: e.idIsSigned,
            bytes_per_type: e.bytesPerType,
          })),
        ),
        status,
        isSettled(status),
        error,
        ...events.map((e) => e.rawBody),
      ],
    );
    return rows.map((row) => (row.record_id === null ? { orderAwaited: false } : { recordId: row.record_id, orderAwaited: row.order_awaited }));
  }

  async setOutcome(em: EntityManager, id: string, status: DeliveryStatus, reason: string | null): Promise<void> {
    await this.setOutcomes(em, [{ id, status, reason }]);
  }

  async setOutcomes(em: EntityManager, outcomes: { id: string; status: DeliveryStatus; reason: string | null }[]): Promise<void> {
    if (outcomes.length === 0) return;
    // processed_at: when it was applied or set aside for good (isSettled); a deferred event has not been, yet.
    await em.query(
      `UPDATE webhook_events w
          SET status = o.status, reason = o.reason, processed_at = CASE WHEN o.settled THEN now() END
         FROM unnest($1::bigint[], $2::delivery_status[], $3::text[], $4::boolean[]) AS o(id, status, reason, settled)
        WHERE w.id = o.id`,
      [outcomes.map((o) => o.id), outcomes.map((o) => o.status), outcomes.map((o) => o.reason), outcomes.map((o) => isSettled(o.status))],
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
  async countPerMinute(em: EntityManager, minutes: number): Promise<{ minute: Date; status: DeliveryStatus; n: number }[]> {
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

  /**
   * One more attempt of a stored delivery, provisionally CLAIMED_AS as a fresh claim is; `orderId`: the
   * order it was read to name this time (found by its payment, say).
   */
  async claimForReplay(em: EntityManager, id: string, orderId: string | null): Promise<void> {
    await this.recordAttempt(em, id, CLAIMED_AS, null, true, orderId);
  }

  /** Those of `orderIds` that deliveries wait for (src/webhooks/sql/deferred_events.sql). */
  async ordersAwaited(em: EntityManager, orderIds: string[]): Promise<string[]> {
    if (orderIds.length === 0) return [];
    const rows: { order_id: string }[] = await em.query(
      `SELECT DISTINCT order_id FROM shelfsync_deferred_events(p_order_ids => $1::text[])`,
      [orderIds],
    );
    return rows.map((row) => row.order_id);
  }

  /** The deliveries waiting for the order, oldest first (the state machine decides the order to try them in). */
  async findDeferred(em: EntityManager, orderId: string): Promise<StoredEvent[]> {
    return em.query(
      `SELECT id, source, event_id, event_type, reason, headers, raw_body
         FROM shelfsync_deferred_events(p_order_ids => ARRAY[$1::text]) ORDER BY id`,
      [orderId],
    );
  }
}
