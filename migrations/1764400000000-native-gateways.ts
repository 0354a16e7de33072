import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the gateways' own deliveries need of the schema (issue 12):
 * - `orders.payment_id`: the payment that paid an order (a Stripe payment
 *   intent), so that a later event naming only the payment (a refund of its
 *   charge) finds the order;
 * - `order_lines.sku` may be NULL: a product without a SKU (WooCommerce
 *   allows them) is kept on the order and reserves nothing;
 * - `order_lines.returned_quantity`: units that came back before the order
 *   ended (a partial refund with restock), so that no later release, commit
 *   or restock moves them twice.
 */
export class NativeGateways1764400000000 implements MigrationInterface {
  name = 'NativeGateways1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE orders ADD COLUMN payment_id text CHECK (length(payment_id) BETWEEN 1 AND 255)`);
    await q.query(`CREATE INDEX orders_payment_id_idx ON orders (payment_id) WHERE payment_id IS NOT NULL`);
    await q.query(`ALTER TABLE order_lines ALTER COLUMN sku DROP NOT NULL`);
    await q.query(`
      ALTER TABLE order_lines
        ADD COLUMN returned_quantity integer NOT NULL DEFAULT 0,
        ADD CONSTRAINT order_lines_returned_quantity_check CHECK (returned_quantity BETWEEN 0 AND quantity)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE order_lines DROP COLUMN returned_quantity`);
    // Lines without a SKU cannot be kept by the older schema.
    await q.query(`DELETE FROM order_lines WHERE sku IS NULL`);
    await q.query(`ALTER TABLE order_lines ALTER COLUMN sku SET NOT NULL`);
    await q.query(`DROP INDEX orders_payment_id_idx`);
    await q.query(`ALTER TABLE orders DROP COLUMN payment_id`);
  }
}
