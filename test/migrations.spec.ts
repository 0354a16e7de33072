import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource, MigrationExecutor } from 'typeorm';
import { migrations } from '../migrations/index.js';
import { OrdersBelongToTheirSource1764700000000 } from '../migrations/1764700000000-orders-belong-to-their-source.js';
import { LinesHoldTheStock1764900000000 } from '../migrations/1764900000000-lines-hold-the-stock.js';
import { OrdersAsStates1765000000000 } from '../migrations/1765000000000-orders-as-states.js';
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

describe('1764900000000: lines hold the stock', () => {
  const upTo = migrations.indexOf(LinesHoldTheStock1764900000000);
  let db: DataSource;

  beforeAll(async () => {
    const before = await migrate(migrations.slice(0, upTo));
    // The database of the migration before (and its rows); these orders are source 'lines', their SKUs L and M.
    await before.query(`INSERT INTO stock (sku, on_hand, reserved) VALUES ('L', 100, 0), ('M', 100, 0)`);
    const events: string[] = (
      await before.query(
        `INSERT INTO webhook_events (source, event_id, event_type, status, headers, raw_body)
         SELECT 'lines', 'e' || g, 'test', 'processed', '{}', '\\x7b7d' FROM generate_series(1, 3) AS g RETURNING id::text`,
      )
    ).map((row: { id: string }) => row.id);
    const orderOf = async (orderId: string, status: string, lines: [sku: string | null, quantity: number, returned?: number][]) => {
      await before.query(`INSERT INTO orders (source, order_id, status, customer_name, total_amount, currency) VALUES ('lines', $1, $2, 'C', 10, 'USD')`, [
        orderId,
        status,
      ]);
      for (const [i, [sku, quantity, returned]] of lines.entries()) {
        await before.query(`INSERT INTO order_lines (order_source, order_id, line_no, sku, quantity, returned_quantity) VALUES ('lines', $1, $2, $3, $4, $5)`, [
          orderId,
          i + 1,
          sku,
          quantity,
          returned ?? 0,
        ]);
      }
    };
    const history = (orderId: string, from: string, to: string, event: string) =>
      before.query(`INSERT INTO order_status_history (order_source, order_id, from_status, to_status, webhook_event_id) VALUES ('lines', $1, $2, $3, $4)`, [
        orderId,
        from,
        to,
        event,
      ]);
    const movement = (orderId: string | null, sku: string, kind: string, onHand: number, reserved: number, event: string | null) =>
      before.query(
        `INSERT INTO stock_movements (sku, kind, on_hand_delta, reserved_delta, order_source, order_id, webhook_event_id, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [sku, kind, onHand, reserved, orderId && 'lines', orderId, event, orderId ? null : 'lines count'],
      );
    await orderOf('pending', 'pending', [['L', 3, 1], [null, 1]]);
    await orderOf('paid', 'paid', [['M', 1], ['L', 1], ['L', 2]]);
    await movement('paid', 'L', 'reserve', 0, 3, events[0]);
    await orderOf('fulfilled', 'fulfilled', [['L', 2], [null, 1]]);
    await orderOf('restocked', 'refunded', [['L', 2, 1]]);
    await history('restocked', 'fulfilled', 'refunded', events[1]);
    await movement('restocked', 'L', 'restock', 1, 0, events[1]);
    await orderOf('kept', 'refunded', [['L', 1]]);
    await history('kept', 'fulfilled', 'refunded', events[2]);
    await orderOf('refunded', 'refunded', [['L', 1]]);
    await history('refunded', 'paid', 'refunded', events[2]);
    await orderOf('cancelled', 'cancelled', [['L', 1]]);
    await orderOf('rejected', 'rejected', [['L', 1]]);
    await movement(null, 'L', 'adjust', 100, 0, null);
    await before.destroy();
    db = await migrate(migrations.slice(0, upTo + 1));
  });

  afterAll(async () => {
    await db?.destroy();
  });

  it('fills each line from its order’s status and history', async () => {
    const rows: { order_id: string; r: number; f: number; ret: number }[] = await db.query(
      `SELECT order_id, line_no, reserved_quantity AS r, fulfilled_quantity AS f, returned_quantity AS ret
         FROM order_lines WHERE order_source = 'lines' ORDER BY order_id, line_no`,
    );
    const byOrder: Record<string, number[][]> = {};
    for (const row of rows) (byOrder[row.order_id] ??= []).push([row.r, row.f, row.ret]);
    expect(byOrder).toEqual({
      // unshipped: what has not come back is reserved, on lines with a SKU only
      pending: [[2, 0, 1], [0, 0, 0]],
      paid: [[1, 0, 0], [1, 0, 0], [2, 0, 0]],
      // shipped: every unit of its lines with a SKU
      fulfilled: [[0, 2, 0], [0, 0, 0]],
      // a refund after shipping that restocked brought every unit back; one that did not, none
      restocked: [[0, 2, 2]],
      kept: [[0, 1, 0]],
      refunded: [[0, 0, 0]],
      cancelled: [[0, 0, 0]],
      rejected: [[0, 0, 0]],
    });
  });

  it('gives each order’s ledger row the first line of its SKU, and an adjustment none; a row of an order must name a line', async () => {
    expect(await db.query(`SELECT order_id, kind::text, line_no FROM stock_movements WHERE order_source = 'lines' OR reason = 'lines count' ORDER BY id`)).toEqual([
      { order_id: 'paid', kind: 'reserve', line_no: 2 },
      { order_id: 'restocked', kind: 'restock', line_no: 1 },
      { order_id: null, kind: 'adjust', line_no: null },
    ]);
    await expect(
      db.query(`INSERT INTO stock_movements (sku, kind, on_hand_delta, reserved_delta, order_source, order_id) VALUES ('L', 'release', 0, -1, 'lines', 'paid')`),
    ).rejects.toThrow(/stock_movements_line_check/);
    await expect(
      db.query(`INSERT INTO stock_movements (sku, kind, on_hand_delta, reserved_delta, order_source, order_id, line_no) VALUES ('L', 'release', 0, -1, 'lines', 'paid', 9)`),
    ).rejects.toThrow(/stock_movements_line_fkey/);
    await expect(db.query(`UPDATE order_lines SET reserved_quantity = 2 WHERE order_id = 'fulfilled' AND line_no = 1`)).rejects.toThrow(/order_lines_held_check/);
    await expect(db.query(`UPDATE order_lines SET fulfilled_quantity = 1 WHERE order_id = 'fulfilled' AND line_no = 2`)).rejects.toThrow(/order_lines_sku_check/);
    await expect(db.query(`UPDATE order_lines SET reserved_quantity = -1 WHERE order_id = 'cancelled'`)).rejects.toThrow(/order_lines_reserved_quantity_check/);
  });
});

describe('1765000000000: orders as states', () => {
  const upTo = migrations.indexOf(OrdersAsStates1765000000000);
  let db: DataSource;

  beforeAll(async () => {
    const before = await migrate(migrations.slice(0, upTo));
    await before.query(`INSERT INTO orders (source, order_id, status, customer_name, total_amount, currency) VALUES ('s', 'r', 'paid', 'C', 10, 'USD')`);
    // line 1: 1 of 3 units given up before shipping (counted returned then); line 2: 2 shipped, 1 of them back on hand
    await before.query(
      `INSERT INTO order_lines (order_source, order_id, line_no, sku, quantity, reserved_quantity, fulfilled_quantity, returned_quantity)
       VALUES ('s', 'r', 1, 'A', 3, 2, 0, 1), ('s', 'r', 2, 'B', 2, 0, 2, 1)`,
    );
    await before.destroy();
    db = await migrate(migrations.slice(0, upTo + 1));
  });

  afterAll(async () => {
    await db?.destroy();
  });

  it('takes units given up before shipping off the quantity, and keeps returned for shipped units that came back', async () => {
    expect(await db.query(`SELECT line_no, quantity, reserved_quantity, fulfilled_quantity, returned_quantity FROM order_lines WHERE order_source = 's' ORDER BY line_no`)).toEqual([
      { line_no: 1, quantity: 2, reserved_quantity: 2, fulfilled_quantity: 0, returned_quantity: 0 },
      { line_no: 2, quantity: 2, reserved_quantity: 0, fulfilled_quantity: 2, returned_quantity: 1 },
    ]);
    // a unit counted returned that never shipped is refused
    await expect(db.query(`UPDATE order_lines SET reserved_quantity = 0, returned_quantity = 1 WHERE order_source = 's' AND line_no = 1`)).rejects.toThrow(/order_lines_returned_shipped_check/);
    expect(await db.query(`SELECT snapshot_version FROM orders WHERE source = 's'`)).toEqual([{ snapshot_version: null }]);
  });
});
