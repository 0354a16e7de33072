import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An order from a gateway is a state (issue 23, parts 2 and 3):
 * - `partially_fulfilled`: some units shipped, the rest still reserved;
 * - `orders.snapshot_version`: the newest gateway version of the order
 *   applied (Shopify `updated_at`, WooCommerce `date_modified_gmt`); a
 *   snapshot older than it changes nothing (stale);
 * - an order line may ask for 0 units: a line an edit removed is kept, with
 *   what it shipped or returned, rather than deleted with its ledger rows;
 * - `order_parcels`: the gateway's ids of the parcels an order shipped, so a
 *   parcel told twice (its own webhook, then inside the order) ships once;
 * - `returned_quantity` counts shipped units that came back only; units
 *   given up before they shipped leave the line's `quantity` (as a gateway's
 *   own count of the line does: Shopify's current_quantity), so a snapshot
 *   that follows a refund does not take them away twice. Lines that
 *   returned more than they shipped had given up the excess before
 *   shipping: it leaves their quantity here.
 * - `order_lines_returned_shipped_check`: returned <= fulfilled.
 * - a ledger row's order is checked through its line (stock_movements_line_fkey,
 *   which names the order too): the key to orders alone checked every row a
 *   second time, on the creation's hot path.
 * (ALTER TYPE ... ADD VALUE runs in the migrations' transaction: nothing in it
 * uses the new value before it commits.)
 */
export class OrdersAsStates1765000000000 implements MigrationInterface {
  name = 'OrdersAsStates1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TYPE order_status ADD VALUE 'partially_fulfilled' AFTER 'paid'`);
    await q.query(`ALTER TABLE orders ADD COLUMN snapshot_version timestamptz`);
    await q.query(`ALTER TABLE order_lines DROP CONSTRAINT order_lines_quantity_check, ADD CONSTRAINT order_lines_quantity_check CHECK (quantity >= 0)`);
    await q.query(`
      UPDATE order_lines SET quantity = quantity - (returned_quantity - fulfilled_quantity), returned_quantity = fulfilled_quantity
       WHERE returned_quantity > fulfilled_quantity`);
    await q.query(`ALTER TABLE order_lines ADD CONSTRAINT order_lines_returned_shipped_check CHECK (returned_quantity <= fulfilled_quantity)`);
    await q.query(`ALTER TABLE stock_movements DROP CONSTRAINT stock_movements_order_fkey`);
    await q.query(`
      CREATE TABLE order_parcels (
        order_source     text NOT NULL,
        order_id         text NOT NULL,
        parcel_id        text NOT NULL,
        webhook_event_id bigint,
        shipped_at       timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT order_parcels_pkey PRIMARY KEY (order_source, order_id, parcel_id),
        CONSTRAINT order_parcels_order_fkey FOREIGN KEY (order_source, order_id) REFERENCES orders (source, order_id),
        CONSTRAINT order_parcels_webhook_event_id_fkey FOREIGN KEY (webhook_event_id) REFERENCES webhook_events (id),
        CONSTRAINT order_parcels_parcel_id_check CHECK (length(parcel_id) BETWEEN 1 AND 255)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE order_parcels`);
    await q.query(`ALTER TABLE order_lines DROP CONSTRAINT order_lines_returned_shipped_check`);
    await q.query(`ALTER TABLE stock_movements ADD CONSTRAINT stock_movements_order_fkey FOREIGN KEY (order_source, order_id) REFERENCES orders (source, order_id)`);
    // Lines an edit emptied cannot be kept by the older schema's rule; the enum value stays (PostgreSQL cannot drop one).
    await q.query(`ALTER TABLE order_lines DROP CONSTRAINT order_lines_quantity_check, ADD CONSTRAINT order_lines_quantity_check CHECK (quantity >= 1) NOT VALID`);
    await q.query(`ALTER TABLE orders DROP COLUMN snapshot_version`);
  }
}
