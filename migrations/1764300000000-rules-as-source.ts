import type { MigrationInterface, QueryRunner } from 'typeorm';
import { HotPathFunctions1764200000000 } from './1764200000000-hot-path-functions.js';

/**
 * The rules leave migration text. The database functions of migration
 * 1764200000000 are dropped: their successors are source files under
 * `src/<module>/sql/`, installed after the migrations by
 * `src/database/routines.ts`, which records what it installed in
 * `shelfsync_routines`. The three vocabularies (order statuses, delivery
 * statuses, ledger kinds) become enum types, so a misspelt status fails in
 * the database instead of being stored; and whether a SKU is low, like how
 * much of it is available, is a column the database computes.
 */
export class RulesAsSource1764300000000 implements MigrationInterface {
  name = 'RulesAsSource1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION shelfsync_create_orders(text[], text[], text[], numeric[], text[], text[], bigint[], int[], text[], int[], numeric[])`);
    await q.query(`DROP FUNCTION shelfsync_claim_events(text[], text[], text[], text[], jsonb[], bytea[], boolean[])`);
    await q.query(`DROP FUNCTION shelfsync_apply_movements(text[], text[], int[], int[], text[], bigint[], text[])`);

    await q.query(`CREATE TYPE order_status AS ENUM ('pending', 'paid', 'payment_failed', 'fulfilled', 'refunded', 'cancelled', 'rejected')`);
    await q.query(`ALTER TABLE orders DROP CONSTRAINT orders_status_check`);
    await q.query(`ALTER TABLE orders ALTER COLUMN status TYPE order_status USING status::order_status`);
    await q.query(`
      ALTER TABLE order_status_history
        ALTER COLUMN from_status TYPE order_status USING from_status::order_status,
        ALTER COLUMN to_status TYPE order_status USING to_status::order_status`);

    await q.query(`CREATE TYPE delivery_status AS ENUM ('processed', 'ignored', 'deferred', 'failed')`);
    await q.query(`ALTER TABLE webhook_events DROP CONSTRAINT webhook_events_status_check`);
    await q.query(`ALTER TABLE webhook_events ALTER COLUMN status TYPE delivery_status USING status::delivery_status`);

    await q.query(`CREATE TYPE stock_movement_kind AS ENUM ('reserve', 'release', 'commit', 'restock', 'adjust')`);
    await q.query(`ALTER TABLE stock_movements DROP CONSTRAINT stock_movements_kind_check`);
    await q.query(`ALTER TABLE stock_movements ALTER COLUMN kind TYPE stock_movement_kind USING kind::stock_movement_kind`);

    await q.query(`
      ALTER TABLE stock
        ADD COLUMN available integer GENERATED ALWAYS AS (on_hand - reserved) STORED,
        ADD COLUMN low_stock boolean GENERATED ALWAYS AS (low_stock_threshold IS NOT NULL AND on_hand - reserved <= low_stock_threshold) STORED`);

    await q.query(`
      CREATE TABLE shelfsync_routines (
        file          text PRIMARY KEY,
        sha256        text NOT NULL,
        installed_at  timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    // The installed routines go with the table that records them; the earlier functions come back.
    const routines = (await q.query(
      `SELECT p.oid::regprocedure::text AS signature FROM pg_proc p
        WHERE p.proname LIKE 'shelfsync\\_%' AND p.pronamespace = current_schema()::regnamespace`,
    )) as { signature: string }[];
    for (const { signature } of routines) await q.query(`DROP FUNCTION ${signature}`);
    await q.query(`DROP TABLE shelfsync_routines`);
    await q.query(`ALTER TABLE stock DROP COLUMN low_stock, DROP COLUMN available`);
    await q.query(`ALTER TABLE stock_movements ALTER COLUMN kind TYPE text`);
    await q.query(`ALTER TABLE stock_movements ADD CONSTRAINT stock_movements_kind_check CHECK (kind IN ('reserve', 'release', 'commit', 'restock', 'adjust'))`);
    await q.query(`DROP TYPE stock_movement_kind`);
    await q.query(`ALTER TABLE webhook_events ALTER COLUMN status TYPE text`);
    await q.query(`ALTER TABLE webhook_events ADD CONSTRAINT webhook_events_status_check CHECK (status IN ('processed', 'ignored', 'deferred', 'failed'))`);
    await q.query(`DROP TYPE delivery_status`);
    await q.query(`ALTER TABLE order_status_history ALTER COLUMN from_status TYPE text, ALTER COLUMN to_status TYPE text`);
    await q.query(`ALTER TABLE orders ALTER COLUMN status TYPE text`);
    await q.query(`
      ALTER TABLE orders ADD CONSTRAINT orders_status_check
        CHECK (status IN ('pending', 'paid', 'payment_failed', 'fulfilled', 'refunded', 'cancelled', 'rejected'))`);
    await q.query(`DROP TYPE order_status`);
    await new HotPathFunctions1764200000000().up(q);
  }
}
