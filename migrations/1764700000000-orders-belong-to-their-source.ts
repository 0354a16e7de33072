import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An order is identified by its source and its id (contract, "Orders belong
 * to their source"): a Shopify store's and a WooCommerce site's ids meet.
 * orders' key becomes (source, order_id), and every row that names an order
 * (its lines, its history, the ledger) names it by both, `order_source`
 * beside `order_id`, copied from the order it already named: no order, line
 * or ledger row is lost or moved to another order. An index on order_id
 * alone serves the look-ups that do not know the source yet (a payment
 * naming an order id, `GET /orders/:order_id`).
 */
export class OrdersBelongToTheirSource1764700000000 implements MigrationInterface {
  name = 'OrdersBelongToTheirSource1764700000000';

  async up(q: QueryRunner): Promise<void> {
    for (const table of ['order_lines', 'order_status_history', 'stock_movements']) {
      await q.query(`ALTER TABLE ${table} ADD COLUMN order_source text`);
      await q.query(`UPDATE ${table} t SET order_source = o.source FROM orders o WHERE o.order_id = t.order_id`);
      await q.query(`ALTER TABLE ${table} DROP CONSTRAINT ${table}_order_id_fkey`);
    }
    await q.query(`ALTER TABLE order_lines ALTER COLUMN order_source SET NOT NULL`);
    await q.query(`ALTER TABLE order_status_history ALTER COLUMN order_source SET NOT NULL`);
    // A ledger row names an order by both columns or by neither (an operator's adjustment).
    await q.query(`ALTER TABLE stock_movements ADD CONSTRAINT stock_movements_order_check CHECK ((order_id IS NULL) = (order_source IS NULL))`);

    await q.query(`ALTER TABLE order_lines DROP CONSTRAINT order_lines_pkey, ADD CONSTRAINT order_lines_pkey PRIMARY KEY (order_source, order_id, line_no)`);
    await q.query(`ALTER TABLE orders DROP CONSTRAINT orders_pkey, ADD CONSTRAINT orders_pkey PRIMARY KEY (source, order_id)`);
    await q.query(`CREATE INDEX orders_order_id_idx ON orders (order_id)`);
    for (const table of ['order_lines', 'order_status_history', 'stock_movements']) {
      await q.query(`ALTER TABLE ${table} ADD CONSTRAINT ${table}_order_fkey FOREIGN KEY (order_source, order_id) REFERENCES orders (source, order_id)`);
    }
    await q.query(`DROP INDEX order_status_history_order_idx`);
    await q.query(`CREATE INDEX order_status_history_order_idx ON order_status_history (order_source, order_id, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Only a database whose order ids are unique across sources can go back.
    await q.query(`DROP INDEX order_status_history_order_idx`);
    await q.query(`CREATE INDEX order_status_history_order_idx ON order_status_history (order_id, id)`);
    for (const table of ['order_lines', 'order_status_history', 'stock_movements']) {
      await q.query(`ALTER TABLE ${table} DROP CONSTRAINT ${table}_order_fkey`);
    }
    await q.query(`DROP INDEX orders_order_id_idx`);
    await q.query(`ALTER TABLE orders DROP CONSTRAINT orders_pkey, ADD CONSTRAINT orders_pkey PRIMARY KEY (order_id)`);
    await q.query(`ALTER TABLE order_lines DROP CONSTRAINT order_lines_pkey, ADD CONSTRAINT order_lines_pkey PRIMARY KEY (order_id, line_no)`);
    await q.query(`ALTER TABLE stock_movements DROP CONSTRAINT stock_movements_order_check`);
    for (const table of ['order_lines', 'order_status_history', 'stock_movements']) {
      await q.query(`ALTER TABLE ${table} ADD CONSTRAINT ${table}_order_id_fkey FOREIGN KEY (order_id) REFERENCES orders (order_id)`);
      await q.query(`ALTER TABLE ${table} DROP COLUMN order_source`);
    }
  }
}
