import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Attention is data (issue 23): each flag on an order is a row with its
 * reason, the delivery that raised it and when, kept after an operator
 * resolves it (with the note saying how). `orders.needs_attention` stays the
 * order's flag, true exactly while the order has an open item; the
 * statements that raise and resolve items set it in the same statement.
 *
 * The order is named by its key, `order_source` and `order_id` (orders
 * belong to their source, migration 1764700000000).
 *
 * Orders flagged before this migration get one open item each, with reason
 * `unrecorded` (the old flag kept no reason) raised at the order's last
 * change, so that no flagged order loses its flag or the way to clear it.
 */
export class OrderAttention1764800000000 implements MigrationInterface {
  name = 'OrderAttention1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE order_attention (
        id               bigserial PRIMARY KEY,
        order_source     text NOT NULL,
        order_id         text NOT NULL,
        reason           text NOT NULL,
        -- the delivery that raised it; null when none did (the migration's, for one)
        webhook_event_id bigint,
        raised_at        timestamptz NOT NULL DEFAULT now(),
        -- both null while the item is open, both set once an operator resolved it
        resolved_at      timestamptz,
        note             text,
        CONSTRAINT order_attention_order_fkey FOREIGN KEY (order_source, order_id) REFERENCES orders (source, order_id),
        CONSTRAINT order_attention_webhook_event_id_fkey FOREIGN KEY (webhook_event_id) REFERENCES webhook_events (id),
        CONSTRAINT order_attention_reason_check CHECK (length(reason) BETWEEN 1 AND 200),
        CONSTRAINT order_attention_note_check CHECK (length(note) BETWEEN 1 AND 1000),
        CONSTRAINT order_attention_resolution_check CHECK ((resolved_at IS NULL) = (note IS NULL))
      )`);
    // One delivery raises one reason on an order once, however often it is applied (a replay, a
    // deferred delivery tried again); it also serves reading an order's items.
    await q.query(`CREATE UNIQUE INDEX order_attention_raise_key ON order_attention (order_source, order_id, webhook_event_id, reason)`);
    // GET /orders?needs_attention=true: the flagged orders, newest first.
    await q.query(`CREATE INDEX orders_needs_attention_idx ON orders (seq) WHERE needs_attention`);
    await q.query(`
      INSERT INTO order_attention (order_source, order_id, reason, webhook_event_id, raised_at)
      SELECT source, order_id, 'unrecorded', NULL, updated_at FROM orders WHERE needs_attention ORDER BY seq`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX orders_needs_attention_idx`);
    await q.query(`DROP TABLE order_attention`);
  }
}
