import { beforeEach, describe, expect, it } from '@jest/globals';
import { installRoutines, readRoutines } from '../src/database/routines.js';
import { STOCK_MOVEMENT_KINDS } from '../src/inventory/stock-movement-kind.js';
import { EXPIRING_STATUSES } from '../src/orders/order-state-machine.js';
import { ORDER_STATUSES } from '../src/orders/order-status.js';
import { DELIVERY_STATUSES } from '../src/webhooks/delivery-status.js';
import { resetDatabase, seedStock } from './support/database.js';
import { useTestApp } from './support/test-app.js';

describe('rules the database holds', () => {
  const t = useTestApp();
  beforeEach(() => resetDatabase(t.db));

  it.each([
    ['order_status', ORDER_STATUSES],
    ['delivery_status', DELIVERY_STATUSES],
    ['stock_movement_kind', STOCK_MOVEMENT_KINDS],
  ])('knows the vocabulary %s exactly as the code names it', async (type, values) => {
    const [{ labels }] = await t.db.query(`SELECT enum_range(NULL::${type})::text[] AS labels`);
    expect(labels).toEqual([...values]);
  });

  it('refuses a status outside the vocabulary', async () => {
    await expect(
      t.db.query(`INSERT INTO orders (order_id, status, customer_name, total_amount, currency, source) VALUES ('x', 'shipped', 'c', 1, 'USD', 'default')`),
    ).rejects.toThrow(/invalid input value for enum order_status/);
  });

  it('computes available and low_stock from the counters', async () => {
    await seedStock(t.db, { A: 5, B: 5 });
    await t.db.query(`UPDATE stock SET reserved = 3, low_stock_threshold = 2 WHERE sku = 'A'`);
    await t.db.query(`UPDATE stock SET reserved = 2, low_stock_threshold = 2 WHERE sku = 'B'`);
    expect(await t.db.query(`SELECT sku, available, low_stock FROM stock ORDER BY sku`)).toEqual([
      { sku: 'A', available: 2, low_stock: true },
      { sku: 'B', available: 3, low_stock: false },
    ]);
  });

  it('indexes exactly the state machine\'s unpaid statuses (EXPIRING_STATUSES) for the reservation sweeper', async () => {
    const [index] = await t.db.query(`SELECT indexdef FROM pg_indexes WHERE indexname = 'orders_unpaid_idx'`);
    const predicate: string = index.indexdef.split(' WHERE ')[1];
    expect(predicate).toMatch(/^\(status = ANY \(ARRAY\[('\w+'::order_status(, )?)+\]\)\)$/);
    const statuses = [...predicate.matchAll(/'(\w+)'::order_status/g)].map((m) => m[1]);
    expect(statuses.sort()).toEqual([...EXPIRING_STATUSES].sort());
  });

  it('applies the movements the guard lets through and says, per SKU refused, why (apply_stock_movements.sql)', async () => {
    await seedStock(t.db, { A: 5, B: 5, C: 5, D: 2147483640, E: 5 });
    await t.db.query(`UPDATE stock SET reserved = 2 WHERE sku IN ('B', 'C')`);
    const movement = (sku: string, kind: string, on_hand_delta: number, reserved_delta: number) => ({ sku, kind, on_hand_delta, reserved_delta });
    const [result] = await t.db.query(`SELECT written, refused FROM shelfsync_apply_stock_movements($1::jsonb)`, [
      JSON.stringify([
        movement('A', 'reserve', 0, 5),
        movement('B', 'release', 0, -3),
        movement('C', 'adjust', -4, 0),
        movement('D', 'adjust', 8, 0),
        movement('E', 'adjust', 1, 0),
        movement('E', 'adjust', -1, 0),
        movement('Z', 'adjust', 1, 0),
      ]),
    ]);
    expect(result).toEqual({
      written: 3,
      refused: [
        { sku: 'B', refusal: 'reserved_below_zero', on_hand: 5, reserved: 2, on_hand_delta: 0, reserved_delta: -3 },
        { sku: 'C', refusal: 'on_hand_below_reserved', on_hand: 5, reserved: 2, on_hand_delta: -4, reserved_delta: 0 },
        { sku: 'D', refusal: 'on_hand_past_limit', on_hand: 2147483640, reserved: 0, on_hand_delta: 8, reserved_delta: 0 },
        { sku: 'Z', refusal: 'no_stock_row', on_hand: null, reserved: null, on_hand_delta: 1, reserved_delta: 0 },
      ],
    });
    expect(await t.db.query(`SELECT sku, on_hand, reserved FROM stock ORDER BY sku`)).toEqual([
      { sku: 'A', on_hand: 5, reserved: 5 },
      { sku: 'B', on_hand: 5, reserved: 2 },
      { sku: 'C', on_hand: 5, reserved: 2 },
      { sku: 'D', on_hand: 2147483640, reserved: 0 },
      { sku: 'E', on_hand: 5, reserved: 0 },
    ]);
    expect(await t.db.query(`SELECT sku, kind::text, on_hand_delta, reserved_delta FROM stock_movements WHERE reason IS NULL ORDER BY id`)).toEqual([
      { sku: 'A', kind: 'reserve', on_hand_delta: 0, reserved_delta: 5 },
      { sku: 'E', kind: 'adjust', on_hand_delta: 1, reserved_delta: 0 },
      { sku: 'E', kind: 'adjust', on_hand_delta: -1, reserved_delta: 0 },
    ]);
  });
});

describe('the database functions installed from src/<module>/sql/', () => {
  const t = useTestApp();
  const functions = async (): Promise<string[]> => {
    const rows: { proname: string }[] = await t.db.query(`SELECT proname FROM pg_proc WHERE proname LIKE 'shelfsync\\_%' ORDER BY 1`);
    return rows.map((r) => r.proname);
  };

  it('are each file of the source, and are left alone while the files are unchanged', async () => {
    const routines = readRoutines();
    const oids = async (): Promise<{ oid: number }[]> => t.db.query(`SELECT oid::int AS oid FROM pg_proc WHERE proname LIKE 'shelfsync\\_%' ORDER BY 1`);
    const before = await oids();
    expect(await t.db.transaction((em) => installRoutines(em, routines))).toEqual([]);
    // Not dropped and created again: the very same functions are there.
    expect(await oids()).toEqual(before);
    const installed = await t.db.query(`SELECT file, sha256 FROM shelfsync_routines ORDER BY file`);
    expect(installed).toEqual(routines.map(({ file, sha256 }) => ({ file, sha256 })).sort((a, b) => a.file.localeCompare(b.file)));
    expect((await functions()).length).toBeGreaterThanOrEqual(routines.length);
  });

  it('are installed again when a file changed, and a function no file defines any more is dropped', async () => {
    const routines = readRoutines();
    const extra = {
      file: 'test/sql/obsolete.sql',
      sql: `CREATE FUNCTION shelfsync_obsolete() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$`,
      sha256: 'x',
    };
    expect(await t.db.transaction((em) => installRoutines(em, [...routines, extra]))).toEqual(['test/sql/obsolete.sql']);
    expect(await functions()).toContain('shelfsync_obsolete');
    // Back to the source as it is: the obsolete function goes, and every file is recorded again.
    await t.db.transaction((em) => installRoutines(em, routines));
    expect(await functions()).not.toContain('shelfsync_obsolete');
    expect((await t.db.query(`SELECT count(*)::int AS n FROM shelfsync_routines`))[0].n).toBe(routines.length);
  });
});
