import { beforeEach, describe, expect, it } from '@jest/globals';
import { installRoutines, readRoutines } from '../src/database/routines.js';
import { STOCK_MOVEMENT_KINDS } from '../src/inventory/stock-movement-kind.js';
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
