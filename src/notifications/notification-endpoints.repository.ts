import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { EndpointStatus } from './endpoint-status.js';
import type { NotificationEventType } from './event-types.js';

/** A notification_endpoints row as stored, secrets included: never answered as it is. */
export interface EndpointRow {
  id: string;
  url: string;
  /** null: every event type */
  events: NotificationEventType[] | null;
  description: string | null;
  status: EndpointStatus;
  status_reason: string | null;
  secret: string;
  previous_secret: string | null;
  previous_secret_until: Date | null;
  created_at: Date;
  updated_at: Date;
  /** created_at in microseconds since the epoch, exact: the keyset cursor's first part. */
  position: string;
}

export interface EndpointChanges {
  url?: string;
  events?: NotificationEventType[] | null;
  description?: string | null;
  status?: EndpointStatus;
}

const COLUMNS = `id, url, events, description, status, status_reason, secret, previous_secret, previous_secret_until,
  created_at, updated_at, (extract(epoch FROM created_at) * 1000000)::bigint::text AS position`;

/** The SQL of notification_endpoints. Every method runs in the caller's transaction. */
@Injectable()
export class NotificationEndpointsRepository {
  async insert(
    em: EntityManager,
    endpoint: { url: string; events: NotificationEventType[] | null; description: string | null; secret: string },
  ): Promise<EndpointRow> {
    const rows: EndpointRow[] = await em.query(
      `INSERT INTO notification_endpoints (url, events, description, secret) VALUES ($1, $2::text[], $3, $4) RETURNING ${COLUMNS}`,
      [endpoint.url, endpoint.events, endpoint.description, endpoint.secret],
    );
    return rows[0];
  }

  async find(em: EntityManager, id: string): Promise<EndpointRow | undefined> {
    const rows: EndpointRow[] = await em.query(`SELECT ${COLUMNS} FROM notification_endpoints WHERE id = $1`, [id]);
    return rows[0];
  }

  /** Newest first, before the keyset position (created_at in microseconds, id) when one is given. */
  async list(em: EntityManager, query: { before?: [string, string]; limit: number }): Promise<EndpointRow[]> {
    const params: unknown[] = [];
    const where = query.before
      ? `WHERE ((extract(epoch FROM created_at) * 1000000)::bigint, id) < ($${params.push(query.before[0])}::bigint, $${params.push(query.before[1])}::uuid)`
      : '';
    return em.query(
      `SELECT ${COLUMNS} FROM notification_endpoints ${where} ORDER BY created_at DESC, id DESC LIMIT $${params.push(query.limit)}`,
      params,
    );
  }

  /**
   * Applies the changes given (the others stay). Enabling clears
   * status_reason; disabling an enabled endpoint records that the operator
   * did it, and leaves the reason of one already disabled (a 410) as it was.
   */
  async update(em: EntityManager, id: string, changes: EndpointChanges, disabledReason: string): Promise<EndpointRow | undefined> {
    const params: unknown[] = [id];
    const sets = ['updated_at = now()'];
    if (changes.url !== undefined) sets.push(`url = $${params.push(changes.url)}`);
    if (changes.events !== undefined) sets.push(`events = $${params.push(changes.events)}::text[]`);
    if (changes.description !== undefined) sets.push(`description = $${params.push(changes.description)}`);
    if (changes.status === 'enabled') sets.push(`status = 'enabled'`, 'status_reason = NULL');
    if (changes.status === 'disabled') {
      sets.push(
        `status_reason = CASE WHEN status = 'disabled' THEN status_reason ELSE $${params.push(disabledReason)} END`,
        `status = 'disabled'`,
      );
    }
    const rows: [EndpointRow[], number] = await em.query(
      `UPDATE notification_endpoints SET ${sets.join(', ')} WHERE id = $1 RETURNING ${COLUMNS}`,
      params,
    );
    return rows[0][0];
  }

  /** Deletes it, its messages with it (ON DELETE CASCADE); whether it was there. */
  async delete(em: EntityManager, id: string): Promise<boolean> {
    const rows: [unknown[], number] = await em.query(`DELETE FROM notification_endpoints WHERE id = $1 RETURNING id`, [id]);
    return rows[0].length > 0;
  }

  /**
   * Makes `secret` the current secret; the one it replaces keeps signing
   * until 24 h from now by the database's clock (a previous secret still
   * valid from an earlier rotation is dropped: two secrets at most).
   */
  async rotateSecret(em: EntityManager, id: string, secret: string, hours: number): Promise<EndpointRow | undefined> {
    const rows: [EndpointRow[], number] = await em.query(
      `UPDATE notification_endpoints
          SET previous_secret = secret, previous_secret_until = now() + make_interval(hours => $3::int),
              secret = $2, updated_at = now()
        WHERE id = $1
        RETURNING ${COLUMNS}`,
      [id, secret, hours],
    );
    return rows[0][0];
  }
}
