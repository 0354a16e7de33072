import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The storefront hears back (issue 13): endpoints it registered, and the
 * transactional outbox of messages to them, one row per message and
 * endpoint, written by the transaction that makes the change it tells of.
 * Senders in every instance claim due rows (`next_attempt_at <= now()`) with
 * SKIP LOCKED and lease them while they send, so no transaction stays open
 * over an HTTP request. Orders get the index the reservation sweeper reads.
 */
export class NotificationsAndExpiry1764500000000 implements MigrationInterface {
  name = 'NotificationsAndExpiry1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TYPE notification_endpoint_status AS ENUM ('enabled', 'disabled')`);
    await q.query(`CREATE TYPE notification_status AS ENUM ('pending', 'delivered', 'failed')`);
    await q.query(`
      CREATE TABLE notification_endpoints (
        id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        url                  text NOT NULL CHECK (length(url) BETWEEN 1 AND 2048),
        -- NULL: every event type
        events               text[],
        description          text CHECK (length(description) <= 500),
        status               notification_endpoint_status NOT NULL DEFAULT 'enabled',
        -- why it was disabled (a 410, an operator), kept until it is enabled again
        status_reason        text,
        -- whsec_<base64>: the current signing secret; the previous one keeps signing until it expires
        secret               text NOT NULL,
        previous_secret      text,
        previous_secret_until timestamptz,
        created_at           timestamptz NOT NULL DEFAULT now(),
        updated_at           timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE notifications (
        id               bigserial PRIMARY KEY,
        endpoint_id      uuid NOT NULL REFERENCES notification_endpoints (id) ON DELETE CASCADE,
        -- the webhook-id header: the same for every attempt of this message
        message_id       text NOT NULL UNIQUE,
        event_type       text NOT NULL,
        -- the exact bytes sent, so that every attempt signs and sends the same body
        body             text NOT NULL,
        status           notification_status NOT NULL DEFAULT 'pending',
        attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        next_attempt_at  timestamptz NOT NULL DEFAULT now(),
        last_status_code integer,
        last_error       text,
        created_at       timestamptz NOT NULL DEFAULT now(),
        delivered_at     timestamptz
      )`);
    await q.query(`CREATE INDEX notifications_due_idx ON notifications (next_attempt_at) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX notifications_endpoint_idx ON notifications (endpoint_id, id)`);
    // The reservation sweeper: unpaid orders, oldest first.
    await q.query(`CREATE INDEX orders_unpaid_idx ON orders (created_at) WHERE status IN ('pending', 'payment_failed')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX orders_unpaid_idx`);
    await q.query(`DROP TABLE notifications`);
    await q.query(`DROP TABLE notification_endpoints`);
    await q.query(`DROP TYPE notification_status`);
    await q.query(`DROP TYPE notification_endpoint_status`);
  }
}
