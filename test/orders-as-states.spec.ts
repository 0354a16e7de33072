import { beforeEach, describe, expect, it } from '@jest/globals';
import type { OrderCommand, OrderOutcome } from '../src/orders/order-commands.js';
import { OrdersService } from '../src/orders/orders.service.js';
import { ledgerMismatches, lineLedgerBreaches, resetDatabase, seedStock, stockOf } from './support/database.js';
import { admin, type Answer, deliver, useTestApp } from './support/test-app.js';

/**
 * What happens to an order after it is placed (issue 23): edits of its
 * lines, parcels, a cancellation or refund between parcels, told through the
 * contract's envelope (order_edited, order_fulfilled with items); and a
 * gateway's versioned snapshots and parcel ids, through the domain's own
 * commands (the providers' specs send the gateways' payloads). After every
 * step the ledger explains each counter and each line.
 */
describe('orders after they are placed', () => {
  const t = useTestApp();
  beforeEach(async () => {
    await resetDatabase(t.db);
    await seedStock(t.db, { A: 10, B: 10, C: 2 });
  });

  let sequence = 0;
  const send = (event: string, data: Record<string, unknown>): Promise<Answer> => {
    sequence += 1;
    return deliver(t.url, JSON.stringify({ id: `evt-states-${sequence}`, event, data }));
  };
  const place = async (orderId: string, items: { sku: string; quantity: number }[], paid = true) => {
    expect((await send('new_order', { order_id: orderId, customer_name: 'C', total_amount: 10, items })).body).toMatchObject({ status: 'processed', order_status: 'pending' });
    if (paid) expect((await send('payment_succeeded', { order_id: orderId })).body).toMatchObject({ status: 'processed', order_status: 'paid' });
  };
  const order = async (orderId: string) => (await admin(t.url, 'GET', `/orders/${orderId}`)).body as { status: string; needs_attention: boolean; items: Record<string, unknown>[]; attention: { reason: string }[] };
  const items = async (orderId: string) =>
    (await order(orderId)).items.map((i) => [i.sku, i.quantity, i.reserved_quantity, i.fulfilled_quantity, i.returned_quantity]);
  const stock = async () => ({ A: await stockOf(t.db, 'A'), B: await stockOf(t.db, 'B'), C: await stockOf(t.db, 'C') });
  /** The ledger explains every counter and every line. */
  const explained = async () => {
    expect(await ledgerMismatches(t.db)).toEqual([]);
    expect(await lineLedgerBreaches(t.db)).toEqual({ rowsWithoutTheirLine: [], orders: [], lines: [], skus: [] });
  };

  describe('order_edited', () => {
    it('an edit removing a line releases exactly its units; the line stays with 0 ordered', async () => {
      await place('e1', [{ sku: 'A', quantity: 2 }, { sku: 'B', quantity: 3 }]);
      const res = await send('order_edited', { order_id: 'e1', items: [{ sku: 'A', quantity: 2 }] });
      expect(res.body).toMatchObject({ status: 'processed', order_status: 'paid' });
      expect(await stock()).toMatchObject({ A: { on_hand: 10, reserved: 2 }, B: { on_hand: 10, reserved: 0 } });
      expect(await items('e1')).toEqual([
        ['A', 2, 2, 0, 0],
        ['B', 0, 0, 0, 0],
      ]);
      await explained();
      // the same list again changes nothing
      expect((await send('order_edited', { order_id: 'e1', items: [{ sku: 'A', quantity: 2 }] })).body).toMatchObject({ status: 'ignored', reason: 'already_applied' });
    });

    it('adding a product reserves its units; more than is available reserves nothing extra and flags edit_short', async () => {
      await place('e2', [{ sku: 'A', quantity: 1 }]);
      expect((await send('order_edited', { order_id: 'e2', items: [{ sku: 'A', quantity: 1 }, { sku: 'B', quantity: 4, unit_price: 2.5 }] })).body).toMatchObject({
        status: 'processed',
      });
      expect(await stock()).toMatchObject({ A: { reserved: 1 }, B: { reserved: 4 } });
      expect((await order('e2')).needs_attention).toBe(false);

      const short = await send('order_edited', { order_id: 'e2', items: [{ sku: 'A', quantity: 1 }, { sku: 'B', quantity: 4 }, { sku: 'C', quantity: 3 }] });
      expect(short.body).toMatchObject({ status: 'processed', reason: 'edit_short' });
      expect(await stock()).toMatchObject({ A: { reserved: 1 }, B: { reserved: 4 }, C: { on_hand: 2, reserved: 0 } });
      const flagged = await order('e2');
      expect(flagged.needs_attention).toBe(true);
      expect(flagged.attention.map((a) => a.reason)).toEqual(['edit_short']);
      expect(await items('e2')).toEqual([
        ['A', 1, 1, 0, 0],
        ['B', 4, 4, 0, 0],
        ['C', 3, 0, 0, 0],
      ]);
      await explained();
    });

    it('lowering a quantity after a parcel releases only units not shipped; shipped units stay shipped', async () => {
      await place('e3', [{ sku: 'A', quantity: 5 }]);
      expect((await send('order_fulfilled', { order_id: 'e3', items: [{ sku: 'A', quantity: 2 }] })).body).toMatchObject({ order_status: 'partially_fulfilled' });
      // down to 3: one unshipped unit released
      await send('order_edited', { order_id: 'e3', items: [{ sku: 'A', quantity: 3 }] });
      expect(await stock()).toMatchObject({ A: { on_hand: 8, reserved: 1 } });
      // down to 1, below what shipped: the rest released, the 2 shipped stay
      await send('order_edited', { order_id: 'e3', items: [{ sku: 'A', quantity: 1 }] });
      expect(await stock()).toMatchObject({ A: { on_hand: 8, reserved: 0 } });
      expect(await items('e3')).toEqual([['A', 2, 0, 2, 0]]);
      await explained();
    });

    it('an order that shipped whole, or closed, is not edited', async () => {
      await place('e4', [{ sku: 'A', quantity: 1 }]);
      await send('order_fulfilled', { order_id: 'e4' });
      expect((await send('order_edited', { order_id: 'e4', items: [{ sku: 'A', quantity: 3 }] })).body).toMatchObject({
        status: 'ignored',
        reason: 'not_editable: fulfilled order',
      });
      expect(await stock()).toMatchObject({ A: { on_hand: 9, reserved: 0 } });
    });

    it('refuses an edit without its list of lines, naming the field, and changes nothing', async () => {
      await place('e5', [{ sku: 'A', quantity: 1 }]);
      const res = await send('order_edited', { order_id: 'e5' });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body)).toContain('data.items');
      expect(await stock()).toMatchObject({ A: { reserved: 1 } });
    });
  });

  describe('parcels (order_fulfilled with items)', () => {
    it('two parcels: the first leaves the order partially_fulfilled, the last fulfils it; each unit leaves on_hand once', async () => {
      await place('p1', [{ sku: 'A', quantity: 3 }, { sku: 'B', quantity: 1 }]);
      const first = await send('order_fulfilled', { order_id: 'p1', items: [{ sku: 'A', quantity: 2 }] });
      expect(first.body).toMatchObject({ status: 'processed', order_status: 'partially_fulfilled' });
      expect(await stock()).toMatchObject({ A: { on_hand: 8, reserved: 1 }, B: { on_hand: 10, reserved: 1 } });
      const last = await send('order_fulfilled', { order_id: 'p1', items: [{ sku: 'A', quantity: 1 }, { sku: 'B', quantity: 1 }] });
      expect(last.body).toMatchObject({ status: 'processed', order_status: 'fulfilled' });
      expect(await stock()).toMatchObject({ A: { on_hand: 7, reserved: 0 }, B: { on_hand: 9, reserved: 0 } });
      expect(await items('p1')).toEqual([
        ['A', 3, 0, 3, 0],
        ['B', 1, 0, 1, 0],
      ]);
      await explained();
    });

    it('a cancellation between parcels releases only the unshipped rest, and flags cancelled_after_payment', async () => {
      await place('p2', [{ sku: 'A', quantity: 4 }]);
      await send('order_fulfilled', { order_id: 'p2', items: [{ sku: 'A', quantity: 1 }] });
      const cancelled = await send('order_cancelled', { order_id: 'p2' });
      expect(cancelled.body).toMatchObject({ status: 'processed', order_status: 'cancelled' });
      expect(await stock()).toMatchObject({ A: { on_hand: 9, reserved: 0 } });
      expect((await order('p2')).attention.map((a) => a.reason)).toEqual(['cancelled_after_payment']);
      await explained();
    });

    it('a refund with restock between parcels releases the rest and puts the shipped units back', async () => {
      await place('p3', [{ sku: 'A', quantity: 4 }]);
      await send('order_fulfilled', { order_id: 'p3', items: [{ sku: 'A', quantity: 3 }] });
      expect((await send('order_refunded', { order_id: 'p3', restock: true })).body).toMatchObject({ order_status: 'refunded' });
      expect(await stock()).toMatchObject({ A: { on_hand: 10, reserved: 0 } });
      await explained();
    });

    it('a parcel before the payment waits for it; a parcel of nothing the order holds ships nothing', async () => {
      await place('p4', [{ sku: 'A', quantity: 2 }], false);
      expect((await send('order_fulfilled', { order_id: 'p4', items: [{ sku: 'A', quantity: 1 }] })).body).toMatchObject({ status: 'deferred' });
      expect((await send('payment_succeeded', { order_id: 'p4' })).body).toMatchObject({ order_status: 'partially_fulfilled' });
      expect(await stock()).toMatchObject({ A: { on_hand: 9, reserved: 1 } });
      expect((await send('order_fulfilled', { order_id: 'p4', items: [{ sku: 'B', quantity: 1 }] })).body).toMatchObject({
        status: 'ignored',
        reason: 'nothing_left_to_ship',
      });
      await explained();
    });
  });

  describe("a gateway's snapshots and parcel ids (the domain's commands)", () => {
    const cause = (webhookEventId: string) => ({ source: 'default', orderSources: ['default'], webhookEventId });
    let eventIds: string[];
    beforeEach(async () => {
      const rows = await t.db.query<{ id: string }[]>(
        `INSERT INTO webhook_events (source, event_id, event_type, status, headers, raw_body)
         SELECT 'default', 'snap-' || g, 'test', 'processed', '{}', 'x' FROM generate_series(1, 6) AS g RETURNING id::text`,
      );
      eventIds = rows.map((r) => r.id);
    });
    const apply = (commands: OrderCommand[], n = 0): Promise<OrderOutcome[]> =>
      t.db.transaction((em) => t.app.get(OrdersService).apply(em, [{ commands, cause: cause(eventIds[n]) }]));
    const created = (version: string, quantity: number): OrderCommand => ({
      kind: 'create_order',
      orderId: 's1',
      customerName: 'C',
      customerEmail: null,
      totalAmount: 10,
      currency: 'USD',
      lines: [{ sku: 'A', quantity, unitPrice: null }],
      version,
    });
    const snapshot = (version: string, quantity: number): OrderCommand => ({ kind: 'edit_order', orderId: 's1', version, lines: [{ sku: 'A', quantity, unitPrice: null }] });
    const paid: OrderCommand = { kind: 'lifecycle', orderId: 's1', event: 'payment_succeeded', reason: null, restock: false };
    const parcel = (id: string, quantity: number): OrderCommand => ({
      kind: 'lifecycle',
      orderId: 's1',
      event: 'order_fulfilled',
      reason: null,
      restock: false,
      parcel: { id, lines: [{ sku: 'A', quantity }] },
    });

    it('a snapshot older than the newest applied changes nothing, nor does the rest of its delivery: stale', async () => {
      await apply([created('2026-12-01T10:00:00.000Z', 2)]);
      expect(await apply([snapshot('2026-12-01T10:05:00.000Z', 5)], 1)).toEqual([{ result: 'applied', reason: null, status: 'pending' }]);
      const old = await apply([snapshot('2026-12-01T10:03:00.000Z', 1), paid], 2);
      expect(old).toEqual([{ result: 'ignored', reason: 'stale', status: 'pending' }]);
      expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 10, reserved: 5 });
      // an older snapshot after a newer one that changed nothing is stale too: the version is kept whatever changed
      await apply([snapshot('2026-12-01T10:09:00.000Z', 5)], 3);
      expect(await apply([snapshot('2026-12-01T10:07:00.000Z', 2)], 4)).toEqual([{ result: 'ignored', reason: 'stale', status: 'pending' }]);
      await explained();
    });

    it("a return of a shipped unit, then the gateway's snapshot that counts it out, moves the unit once", async () => {
      await apply([created('2026-12-01T10:00:00.000Z', 3), paid]);
      await apply([parcel('f-1', 2)], 1);
      const returned: OrderCommand = { kind: 'return_units', orderId: 's1', lines: [{ sku: 'A', quantity: 1 }], shipped: true };
      expect(await apply([returned], 2)).toEqual([{ result: 'applied', reason: null, status: 'partially_fulfilled' }]);
      expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 9, reserved: 1 });
      // Shopify's order after the refund: current_quantity 2 (3 ordered, 1 refunded); the unit still to ship keeps its reservation
      expect(await apply([snapshot('2026-12-01T10:05:00.000Z', 2)], 3)).toEqual([{ result: 'ignored', reason: 'already_applied', status: 'partially_fulfilled' }]);
      expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 9, reserved: 1 });
      await explained();
    });

    it('units an edit could not reserve (edit_short) are reserved by the same list once stock is there, and then ship', async () => {
      await apply([created('2026-12-01T10:00:00.000Z', 1), paid]);
      const short = await apply([{ kind: 'edit_order', orderId: 's1', version: '2026-12-01T10:01:00.000Z', lines: [{ sku: 'C', quantity: 3, unitPrice: null }] }], 1);
      expect(short).toEqual([{ result: 'applied', reason: 'edit_short', status: 'paid' }]);
      expect(await stockOf(t.db, 'C')).toEqual({ on_hand: 2, reserved: 0 });
      await t.db.query(`UPDATE stock SET on_hand = 5 WHERE sku = 'C'`);
      await t.db.query(`INSERT INTO stock_movements (sku, kind, on_hand_delta, reserved_delta, reason) VALUES ('C', 'adjust', 3, 0, 'recount')`);
      const again = await apply([{ kind: 'edit_order', orderId: 's1', version: '2026-12-01T10:02:00.000Z', lines: [{ sku: 'C', quantity: 3, unitPrice: null }] }], 2);
      expect(again).toEqual([{ result: 'applied', reason: null, status: 'paid' }]);
      expect(await stockOf(t.db, 'C')).toEqual({ on_hand: 5, reserved: 3 });
      const shipped: OrderCommand = { kind: 'lifecycle', orderId: 's1', event: 'order_fulfilled', reason: null, restock: false };
      expect(await apply([shipped], 3)).toEqual([{ result: 'applied', reason: null, status: 'fulfilled' }]);
      expect(await stockOf(t.db, 'C')).toEqual({ on_hand: 2, reserved: 0 });
      await explained();
    });

    it('a parcel told twice by its id (its webhook, then inside the order) ships once', async () => {
      await apply([created('2026-12-01T10:00:00.000Z', 3), paid]);
      expect(await apply([parcel('f-1', 2)], 1)).toEqual([{ result: 'applied', reason: null, status: 'partially_fulfilled' }]);
      expect(await apply([snapshot('2026-12-01T10:05:00.000Z', 3), parcel('f-1', 2)], 2)).toEqual([{ result: 'ignored', reason: 'already_applied', status: 'partially_fulfilled' }]);
      expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 8, reserved: 1 });
      expect(await apply([parcel('f-2', 1)], 3)).toEqual([{ result: 'applied', reason: null, status: 'fulfilled' }]);
      expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 7, reserved: 0 });
      await explained();
    });
  });
});
