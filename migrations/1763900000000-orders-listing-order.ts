import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Orders are listed newest first a page at a time: a sequence number gives
 * the keyset a strict, indexable order (created_at can tie, and a timestamp
 * cursor is easy to forge into a query error).
 */
export class OrdersListingOrder1763900000000 implements MigrationInterface {
  name = 'OrdersListingOrder1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE orders ADD COLUMN seq bigserial`);
    await q.query(`CREATE UNIQUE INDEX orders_seq_idx ON orders (seq)`);
    await q.query(`DROP INDEX orders_status_idx`);
    await q.query(`CREATE INDEX orders_status_seq_idx ON orders (status, seq)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX orders_status_seq_idx`);
    await q.query(`CREATE INDEX orders_status_idx ON orders (status, order_id)`);
    await q.query(`ALTER TABLE orders DROP COLUMN seq`);
  }
}
