import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The first schema: deliveries, orders, stock and its ledger.
 * Invariants the application relies on live here, not in code:
 * one row per (source, event id); 0 <= reserved <= on_hand; positive quantities.
 */
export class InitialSchema1763800000000 implements MigrationInterface {
  name = 'InitialSchema1763800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhook_events (
        id            bigserial PRIMARY KEY,
        source        text NOT NULL,
        event_id      text NOT NULL,
        event_type    text NOT NULL,
        order_id      text,
        status        text NOT NULL CHECK (status IN ('processed', 'ignored', 'deferred', 'failed')),
        reason        text,
        headers       jsonb NOT NULL,
        raw_body      bytea NOT NULL,
        attempts      integer NOT NULL DEFAULT 1 CHECK (attempts >= 1),
        last_error    text,
        received_at   timestamptz NOT NULL DEFAULT now(),
        processed_at  timestamptz,
        CONSTRAINT webhook_events_source_event_id_key UNIQUE (source, event_id)
      )`);
    await q.query(`CREATE INDEX webhook_events_status_idx ON webhook_events (status, id)`);
    await q.query(`CREATE INDEX webhook_events_order_id_idx ON webhook_events (order_id) WHERE order_id IS NOT NULL`);

    await q.query(`
      CREATE TABLE orders (
        order_id        text PRIMARY KEY CHECK (length(order_id) BETWEEN 1 AND 128),
        status          text NOT NULL CHECK (status IN
                          ('pending', 'paid', 'payment_failed', 'fulfilled', 'refunded', 'cancelled', 'rejected')),
        status_reason   text,
        needs_attention boolean NOT NULL DEFAULT false,
        customer_name   text NOT NULL,
        customer_email  text,
        total_amount    numeric(20, 4) NOT NULL CHECK (total_amount >= 0),
        currency        char(3) NOT NULL,
        source          text NOT NULL,
        created_at      timestamptz NOT NULL DEFAULT now(),
        updated_at      timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX orders_status_idx ON orders (status, order_id)`);

    await q.query(`
      CREATE TABLE order_lines (
        order_id    text NOT NULL REFERENCES orders (order_id),
        line_no     integer NOT NULL CHECK (line_no >= 1),
        sku         text NOT NULL,
        quantity    integer NOT NULL CHECK (quantity >= 1),
        unit_price  numeric(20, 4) CHECK (unit_price >= 0),
        PRIMARY KEY (order_id, line_no)
      )`);

    await q.query(`
      CREATE TABLE order_status_history (
        id               bigserial PRIMARY KEY,
        order_id         text NOT NULL REFERENCES orders (order_id),
        from_status      text,
        to_status        text NOT NULL,
        reason           text,
        webhook_event_id bigint REFERENCES webhook_events (id),
        created_at       timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX order_status_history_order_idx ON order_status_history (order_id, id)`);

    await q.query(`
      CREATE TABLE stock (
        sku                 text PRIMARY KEY CHECK (length(sku) BETWEEN 1 AND 100),
        on_hand             integer NOT NULL DEFAULT 0,
        reserved            integer NOT NULL DEFAULT 0,
        low_stock_threshold integer CHECK (low_stock_threshold >= 0),
        created_at          timestamptz NOT NULL DEFAULT now(),
        updated_at          timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT stock_reserved_within_on_hand CHECK (reserved >= 0 AND reserved <= on_hand)
      )`);

    await q.query(`
      CREATE TABLE stock_movements (
        id               bigserial PRIMARY KEY,
        sku              text NOT NULL REFERENCES stock (sku),
        kind             text NOT NULL CHECK (kind IN ('reserve', 'release', 'commit', 'restock', 'adjust')),
        on_hand_delta    integer NOT NULL,
        reserved_delta   integer NOT NULL,
        order_id         text REFERENCES orders (order_id),
        webhook_event_id bigint REFERENCES webhook_events (id),
        reason           text,
        created_at       timestamptz NOT NULL DEFAULT now(),
        CHECK (on_hand_delta <> 0 OR reserved_delta <> 0)
      )`);
    await q.query(`CREATE INDEX stock_movements_sku_idx ON stock_movements (sku, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['stock_movements', 'stock', 'order_status_history', 'order_lines', 'orders', 'webhook_events']) {
      await q.query(`DROP TABLE ${table}`);
    }
  }
}
