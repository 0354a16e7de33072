import { beforeEach, describe, expect, it } from '@jest/globals';
import { ledgerMismatches, resetDatabase, stockOf } from './support/database.js';
import { reconcile } from './support/cli.js';
import { admin, deliver, newOrderEvent, useTestApp } from './support/test-app.js';



describe('inventory and its ledger', () => {
  const t = useTestApp();
  beforeEach(() => resetDatabase(t.db));

  describe('POST /inventory/:sku/adjustments', () => {
    it('adds and removes units, each with a ledger row carrying its reason', async () => {
      const added = await admin(t.url, 'POST', '/inventory/SKU-1/adjustments', { delta: 10, reason: 'delivery from supplier' });
      expect(added.status).toBe(201);
      expect(added.body).toMatchObject({ sku: 'SKU-1', on_hand: 10, reserved: 0, available: 10 });
      const removed = await admin(t.url, 'POST', '/inventory/SKU-1/adjustments', { delta: -3, reason: 'damaged in storage' });
      expect(removed.body).toMatchObject({ on_hand: 7, available: 7 });
      const ledger = await t.db.query(`SELECT kind, on_hand_delta, reason FROM stock_movements WHERE sku = 'SKU-1' ORDER BY id`);
      expect(ledger).toEqual([
        { kind: 'adjust', on_hand_delta: 10, reason: 'delivery from supplier' },
        { kind: 'adjust', on_hand_delta: -3, reason: 'damaged in storage' },
      ]);
    });

    it('answers 409 when removing units would take on_hand below what is reserved, and changes nothing', async () => {
      await admin(t.url, 'POST', '/inventory/SKU-1/adjustments', { delta: 5, reason: 'count' });
      await deliver(t.url, newOrderEvent({ orderId: 'o', items: [{ sku: 'SKU-1', quantity: 4 }] }));
      const res = await admin(t.url, 'POST', '/inventory/SKU-1/adjustments', { delta: -2, reason: 'lost' });
      expect(res.status).toBe(409);
      expect(res.body.message).toMatch(/reserved/);
      expect(await stockOf(t.db, 'SKU-1')).toEqual({ on_hand: 5, reserved: 4 });
      const below = await admin(t.url, 'POST', '/inventory/NEW/adjustments', { delta: -1, reason: 'lost' });
      expect(below.status).toBe(409);
      expect(await stockOf(t.db, 'NEW')).toBeUndefined();
    });

    it('answers 409, not 500, when a count would overflow', async () => {
      await admin(t.url, 'PUT', '/inventory/SKU-1', { on_hand: 2_000_000_000 });
      const res = await admin(t.url, 'POST', '/inventory/SKU-1/adjustments', { delta: 500_000_000, reason: 'too many' });
      expect(res.status).toBe(409);
    });

    it.each([
      [{ delta: 0, reason: 'x' }, 'delta'],
      [{ delta: 1.5, reason: 'x' }, 'delta'],
      [{ delta: 1 }, 'reason'],
      [{ delta: 1, reason: '' }, 'reason'],
      [{ delta: 1, reason: 'x', extra: 1 }, 'extra'],
    ])('answers 400 for %j, naming %s', async (body, field) => {
      const res = await admin(t.url, 'POST', '/inventory/SKU-1/adjustments', body);
      expect(res.status).toBe(400);
      expect((res.body.errors as { field: string }[]).map((e) => e.field)).toEqual([field]);
    });
  });

  describe('GET /inventory', () => {
    it('lists every SKU in SKU order, a page at a time', async () => {
      for (const sku of ['C', 'A', 'E', 'B', 'D']) await admin(t.url, 'PUT', `/inventory/${sku}`, { on_hand: 1 });
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await admin(t.url, 'GET', `/inventory?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        expect(page.status).toBe(200);
        seen.push(...(page.body.items as { sku: string }[]).map((s) => s.sku));
        cursor = page.body.next_cursor as string | null;
        pages += 1;
      } while (cursor);
      expect(seen).toEqual(['A', 'B', 'C', 'D', 'E']);
      expect(pages).toBe(3);
    });

    it('filters SKUs at or below their low-stock threshold', async () => {
      await admin(t.url, 'PUT', '/inventory/LOW', { on_hand: 3, low_stock_threshold: 5 });
      await admin(t.url, 'PUT', '/inventory/EDGE', { on_hand: 5, low_stock_threshold: 5 });
      await admin(t.url, 'PUT', '/inventory/FINE', { on_hand: 50, low_stock_threshold: 5 });
      await admin(t.url, 'PUT', '/inventory/NONE', { on_hand: 0 });
      // Reservations count: available, not on_hand, is what can still be sold.
      await admin(t.url, 'PUT', '/inventory/HELD', { on_hand: 8, low_stock_threshold: 5 });
      await deliver(t.url, newOrderEvent({ orderId: 'o', items: [{ sku: 'HELD', quantity: 4 }] }));
      const res = await admin(t.url, 'GET', '/inventory?low_stock=true');
      expect((res.body.items as { sku: string }[]).map((s) => s.sku)).toEqual(['EDGE', 'HELD', 'LOW']);
      expect((res.body.items as { low_stock_threshold: number }[])[0].low_stock_threshold).toBe(5);
      expect((await admin(t.url, 'GET', '/inventory')).body.items).toHaveLength(5);
    });

    it('answers 400 for a bad limit, filter or cursor', async () => {
      for (const query of ['limit=0', 'limit=201', 'limit=abc', 'low_stock=maybe', 'cursor=not-ours', 'unknown=1']) {
        expect([query, (await admin(t.url, 'GET', `/inventory?${query}`)).status]).toEqual([query, 400]);
      }
    });
  });

  describe('GET /orders', () => {
    it('lists orders newest first, filtered by status, a page at a time', async () => {
      await admin(t.url, 'PUT', '/inventory/A', { on_hand: 2 });
      for (let i = 0; i < 5; i++) {
        await deliver(t.url, newOrderEvent({ orderId: `o${i}`, items: [{ sku: 'A', quantity: 1 }] }));
      }
      const all: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await admin(t.url, 'GET', `/orders?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        all.push(...(page.body.items as { order_id: string }[]).map((o) => o.order_id));
        cursor = page.body.next_cursor as string | null;
      } while (cursor);
      expect(all).toEqual(['o4', 'o3', 'o2', 'o1', 'o0']);
      const rejected = await admin(t.url, 'GET', '/orders?status=rejected');
      expect(rejected.body.items).toEqual([
        expect.objectContaining({ order_id: 'o4', status: 'rejected', total_amount: 10, needs_attention: false }),
        expect.objectContaining({ order_id: 'o3', status: 'rejected' }),
        expect.objectContaining({ order_id: 'o2', status: 'rejected' }),
      ]);
      expect((await admin(t.url, 'GET', '/orders?status=lost')).status).toBe(400);
      // A forged cursor is refused, never turned into a query error.
      for (const forged of [['2026-99-99 99:99:99+00', 'x'], ['0'], ['-1'], ['99999999999999999999']]) {
        const cursor = Buffer.from(JSON.stringify(forged)).toString('base64url');
        expect((await admin(t.url, 'GET', `/orders?cursor=${cursor}`)).status).toBe(400);
      }
    });
  });

  describe('npm run reconcile', () => {
    it('exits 0 when the ledger explains every counter', async () => {
      await admin(t.url, 'PUT', '/inventory/A', { on_hand: 5 });
      await deliver(t.url, newOrderEvent({ orderId: 'o', items: [{ sku: 'A', quantity: 2 }] }));
      const result = await reconcile();
      expect(result).toEqual({ code: 0, stdout: 'ledger matches the counters of all 1 SKUs and 1 order lines\n' });
    });

    it('prints each SKU whose counters differ from its ledger and exits 1', async () => {
      await admin(t.url, 'PUT', '/inventory/A', { on_hand: 5 });
      await admin(t.url, 'PUT', '/inventory/B', { on_hand: 5 });
      // Someone changed a counter behind the service's back.
      await t.db.query(`UPDATE stock SET on_hand = 7 WHERE sku = 'B'`);
      const result = await reconcile();
      expect(result.code).toBe(1);
      expect(result.stdout).toContain('ledger differs from the counters of 1 of 2 SKUs');
      expect(result.stdout).toContain('B\t7\t5\t0\t0');
      expect(result.stdout).not.toMatch(/^A\t/m);
      expect(await ledgerMismatches(t.db)).toHaveLength(1);
    });

    it("names each SKU whose reserved differs from its lines', and each line whose counters differ from its ledger rows, and exits 1", async () => {
      await admin(t.url, 'PUT', '/inventory/A', { on_hand: 5 });
      await deliver(t.url, newOrderEvent({ orderId: 'o', items: [{ sku: 'A', quantity: 2 }, { sku: 'A', quantity: 1 }] }));
      // A line's counter changed behind the service's back: its SKU's reserved and its ledger rows no longer agree with it.
      await t.db.query(`UPDATE order_lines SET reserved_quantity = 1 WHERE order_id = 'o' AND line_no = 1`);
      const result = await reconcile();
      expect(result.code).toBe(1);
      expect(result.stdout).not.toContain('of 1 SKUs:');
      expect(result.stdout).toContain('reserved differs from what the order lines hold for 1 SKUs:\nsku\treserved\tlines_reserved\nA\t3\t2\n');
      expect(result.stdout).toContain('ledger differs from the counters of 1 of 2 order lines:');
      expect(result.stdout).toMatch(/^default\to\t1\tA\t1\t2\t0\t0\t0\t0\t0$/m);
      expect(result.stdout).not.toMatch(/^default\to\t2\t/m);
    });

    it('names a line whose shipped units differ from its commits', async () => {
      await admin(t.url, 'PUT', '/inventory/A', { on_hand: 5 });
      await deliver(t.url, newOrderEvent({ orderId: 'o', items: [{ sku: 'A', quantity: 2 }] }));
      await t.db.query(`UPDATE order_lines SET reserved_quantity = 0, fulfilled_quantity = 2 WHERE order_id = 'o'`);
      await t.db.query(`UPDATE stock SET reserved = 0 WHERE sku = 'A'`);
      // The units were released (a row naming the line), yet the line says they shipped: no commit says so.
      await t.db.query(
        `INSERT INTO stock_movements (sku, kind, on_hand_delta, reserved_delta, order_source, order_id, line_no) VALUES ('A', 'release', 0, -2, 'default', 'o', 1)`,
      );
      const result = await reconcile();
      expect(result.code).toBe(1);
      expect(result.stdout).toBe(
        'ledger differs from the counters of 1 of 1 order lines:\n' +
          'source\torder_id\tline_no\tsku\treserved\tledger_reserved\tfulfilled\tledger_committed\treturned\tledger_restocked\tledger_released\n' +
          'default\to\t1\tA\t0\t0\t2\t0\t0\t0\t2\n',
      );
    });
  });
});
