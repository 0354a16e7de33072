import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource, MigrationExecutor } from 'typeorm';
import { migrations } from '../migrations/index.js';
import { OrdersBelongToTheirSource1764700000000 } from '../migrations/1764700000000-orders-belong-to-their-source.js';
import { dataSourceOptions } from '../src/database/data-source-options.js';
import { scratchDatabaseUrl } from './support/scratch-database.js';

/**
 * Migrations that move data, run on a database holding rows written under
 * the schema before them (the migrations up to the one tested, without the
 * routines of today's source, which expect the newest schema).
 */
async function migrate(list: readonly (typeof migrations)[number][]): Promise<DataSource> {
  const db = new DataSource({ ...dataSourceOptions(scratchDatabaseUrl(), { poolSize: 2, connectTimeoutMs: 10_000 }), migrations: [...list] });
  await db.initialize();
  await new MigrationExecutor(db).executePendingMigrations();
  return db;
}

describe('1764700000000: orders belong to their source', () => {
  const upTo = migrations.indexOf(OrdersBelongToTheirSource1764700000000);
  let db: DataSource;

  beforeAll(async () => {
    const before = await migrate(migrations.slice(0, upTo));
    await before.query(`INSERT INTO stock (sku, on_hand, reserved) VALUES ('A', 10, 3)`);
    await before.query(`INSERT INTO webhook_events (source, event_id, event_type, status, headers, raw_body) VALUES ('shop', 'e1', 'orders/create', 'processed', '{}', '\\x7b7d')`);
    for (const [source, orderId, units] of [['shop', '424242356', 2], ['woo', '727', 1]] as const) {
      await before.query(
        `INSERT INTO orders (order_id, status, customer_name, total_amount, currency, source) VALUES ($1, 'pending', 'C', 10, 'USD', $2)`,
        [orderId, source],
      );
      await before.query(`INSERT INTO order_lines (order_id, line_no, sku, quantity) VALUES ($1, 1, 'A', $2)`, [orderId, units]);
      await before.query(`INSERT INTO order_status_history (order_id, to_status, webhook_event_id) VALUES ($1, 'pending', 1)`, [orderId]);
      await before.query(`INSERT INTO stock_movements (sku, kind, on_hand_delta, reserved_delta, order_id) VALUES ('A', 'reserve', 0, $2, $1)`, [orderId, units]);
    }
    await before.query(`INSERT INTO stock_movements (sku, kind, on_hand_delta, reserved_delta, reason) VALUES ('A', 'adjust', 10, 0, 'count')`);
    await before.destroy();
    db = await migrate(migrations.slice(0, upTo + 1));
  });

  afterAll(async () => {
    await db?.destroy();
  });

  it('names every order, line, history and ledger row by its source, losing none', async () => {
    expect(await db.query(`SELECT source, order_id FROM orders ORDER BY order_id`)).toEqual([
      { source: 'shop', order_id: '424242356' },
      { source: 'woo', order_id: '727' },
    ]);
    expect(await db.query(`SELECT order_source, order_id, quantity FROM order_lines ORDER BY order_id`)).toEqual([
      { order_source: 'shop', order_id: '424242356', quantity: 2 },
      { order_source: 'woo', order_id: '727', quantity: 1 },
    ]);
    expect(await db.query(`SELECT order_source, order_id FROM order_status_history ORDER BY order_id`)).toEqual([
      { order_source: 'shop', order_id: '424242356' },
      { order_source: 'woo', order_id: '727' },
    ]);
    expect(await db.query(`SELECT order_source, order_id, kind::text FROM stock_movements ORDER BY id`)).toEqual([
      { order_source: 'shop', order_id: '424242356', kind: 'reserve' },
      { order_source: 'woo', order_id: '727', kind: 'reserve' },
      { order_source: null, order_id: null, kind: 'adjust' },
    ]);
  });

  it('then takes a second source’s order of the same id, and keeps rows pointing at orders that exist', async () => {
    await db.query(`INSERT INTO orders (source, order_id, status, customer_name, total_amount, currency) VALUES ('woo', '424242356', 'pending', 'D', 5, 'USD')`);
    await db.query(`INSERT INTO order_lines (order_source, order_id, line_no, sku, quantity) VALUES ('woo', '424242356', 1, 'A', 1)`);
    await expect(db.query(`INSERT INTO order_lines (order_source, order_id, line_no, sku, quantity) VALUES ('stripe', '424242356', 1, 'A', 1)`)).rejects.toThrow(/order_lines_order_fkey/);
    await expect(db.query(`INSERT INTO stock_movements (sku, kind, on_hand_delta, reserved_delta, order_id) VALUES ('A', 'release', 0, -1, '727')`)).rejects.toThrow(
      /stock_movements_order_check/,
    );
    expect(await db.query(`SELECT count(*)::int AS n FROM orders WHERE order_id = '424242356'`)).toEqual([{ n: 2 }]);
  });
});
