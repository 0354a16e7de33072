import { beforeEach, describe, expect, it } from '@jest/globals';
import { count, ledgerMismatches, resetDatabase, seedStock, stockOf, failInserts } from './support/database.js';
import { holdStockRows } from './support/held-rows.js';
import { transactionRetries } from './support/metrics.js';
import { admin, type Answer, deliver, newOrderEvent, useTestApp } from './support/test-app.js';

let sequence = 0;
/** A lifecycle event body with a fresh event id. */
function lifecycle(event: string, orderId: string, data: Record<string, unknown> = {}): string {
  sequence += 1;
  return JSON.stringify({ id: `evt-${event}-${orderId}-${sequence}`, event, data: { order_id: orderId, ...data } });
}

describe('order lifecycle', () => {
  const t = useTestApp();
  beforeEach(async () => {
    await resetDatabase(t.db);
    await seedStock(t.db, { A: 10, B: 10 });
  });

  const order = (orderId: string) =>
    deliver(t.url, newOrderEvent({ id: `new-${orderId}`, orderId, items: [{ sku: 'A', quantity: 2 }, { sku: 'B', quantity: 1 }] }));
  const send = (event: string, orderId: string, data?: Record<string, unknown>) => deliver(t.url, lifecycle(event, orderId, data));
  const stock = async () => ({ A: await stockOf(t.db, 'A'), B: await stockOf(t.db, 'B') });
  const statusOf = async (orderId: string) => (await admin(t.url, 'GET', `/orders/${orderId}`)).body.status;

  describe('allowed transitions, with their stock effects', () => {
    it('pending -> paid keeps the reservation', async () => {
      await order('o');
      const res = await send('payment_succeeded', 'o', { amount: 10, payment_id: 'pay_1' });
      expect(res.body).toMatchObject({ status: 'processed', order_status: 'paid' });
      expect(await stock()).toEqual({ A: { on_hand: 10, reserved: 2 }, B: { on_hand: 10, reserved: 1 } });
    });

    it('pending -> payment_failed keeps the reservation, and a later payment succeeds', async () => {
      await order('o');
      expect((await send('payment_failed', 'o', { reason: 'card declined' })).body).toMatchObject({ order_status: 'payment_failed' });
      expect(await stock()).toEqual({ A: { on_hand: 10, reserved: 2 }, B: { on_hand: 10, reserved: 1 } });
      expect((await send('payment_succeeded', 'o')).body).toMatchObject({ status: 'processed', order_status: 'paid' });
    });

    it.each([['pending'], ['payment_failed'], ['paid']])('%s -> cancelled releases the reservation', async (from) => {
      await order('o');
      if (from === 'payment_failed') await send('payment_failed', 'o');
      if (from === 'paid') await send('payment_succeeded', 'o');
      const res = await send('order_cancelled', 'o', { reason: 'customer asked' });
      expect(res.body).toMatchObject({ status: 'processed', order_status: 'cancelled' });
      expect(await stock()).toEqual({ A: { on_hand: 10, reserved: 0 }, B: { on_hand: 10, reserved: 0 } });
    });

    it('paid -> fulfilled takes the reserved units out of on_hand', async () => {
      await order('o');
      await send('payment_succeeded', 'o');
      expect((await send('order_fulfilled', 'o')).body).toMatchObject({ order_status: 'fulfilled' });
      expect(await stock()).toEqual({ A: { on_hand: 8, reserved: 0 }, B: { on_hand: 9, reserved: 0 } });
    });

    it('paid -> refunded releases the reservation', async () => {
      await order('o');
      await send('payment_succeeded', 'o');
      expect((await send('order_refunded', 'o')).body).toMatchObject({ order_status: 'refunded' });
      expect(await stock()).toEqual({ A: { on_hand: 10, reserved: 0 }, B: { on_hand: 10, reserved: 0 } });
    });

    it('fulfilled -> refunded with restock brings the units back; without restock it does not', async () => {
      await order('o1');
      await send('payment_succeeded', 'o1');
      await send('order_fulfilled', 'o1');
      await send('order_refunded', 'o1', { restock: true });
      expect(await stock()).toEqual({ A: { on_hand: 10, reserved: 0 }, B: { on_hand: 10, reserved: 0 } });

      await order('o2');
      await send('payment_succeeded', 'o2');
      await send('order_fulfilled', 'o2');
      expect((await send('order_refunded', 'o2')).body).toMatchObject({ order_status: 'refunded' });
      expect(await stock()).toEqual({ A: { on_hand: 8, reserved: 0 }, B: { on_hand: 9, reserved: 0 } });
      expect(await ledgerMismatches(t.db)).toEqual([]);
    });

    it('writes a history row per change, with the event that caused it', async () => {
      await order('o');
      await send('payment_succeeded', 'o');
      await send('order_fulfilled', 'o');
      const res = await admin(t.url, 'GET', '/orders/o');
      expect((res.body.history as { from_status: string; to_status: string }[]).map((h) => [h.from_status, h.to_status])).toEqual([
        [null, 'pending'],
        ['pending', 'paid'],
        ['paid', 'fulfilled'],
      ]);
      const ledger = await t.db.query(`SELECT kind, count(*)::int AS n FROM stock_movements WHERE order_id = 'o' GROUP BY kind ORDER BY kind::text`);
      expect(ledger).toEqual([
        { kind: 'commit', n: 2 },
        { kind: 'reserve', n: 2 },
      ]);
    });
  });

  describe('transitions that can never happen', () => {
    it.each([
      ['fulfilling a cancelled order', ['order_cancelled'], 'order_fulfilled', 'cancelled'],
      ['refunding a cancelled order', ['order_cancelled'], 'order_refunded', 'cancelled'],
      ['a failed payment after a successful one', ['payment_succeeded'], 'payment_failed', 'paid'],
      ['cancelling a fulfilled order', ['payment_succeeded', 'order_fulfilled'], 'order_cancelled', 'fulfilled'],
    ])('ignores %s, records why, and changes nothing', async (_name, before, event, status) => {
      await order('o');
      for (const e of before) await send(e, 'o');
      const stockBefore = await stock();
      const res = await send(event, 'o');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'ignored', reason: `transition_not_allowed: ${event} on a ${status} order`, order_status: status });
      expect(await statusOf('o')).toBe(status);
      expect(await stock()).toEqual(stockBefore);
      const [row] = await t.db.query(`SELECT status, reason FROM webhook_events WHERE event_type = $1 ORDER BY id DESC LIMIT 1`, [event]);
      expect(row.status).toBe('ignored');
    });

    it.each([
      ['a second payment', ['payment_succeeded'], 'payment_succeeded', 'paid'],
      ['a payment of a fulfilled order', ['payment_succeeded', 'order_fulfilled'], 'payment_succeeded', 'fulfilled'],
      ['fulfilling twice', ['payment_succeeded', 'order_fulfilled'], 'order_fulfilled', 'fulfilled'],
      ['cancelling twice', ['order_cancelled'], 'order_cancelled', 'cancelled'],
      ['refunding twice', ['payment_succeeded', 'order_refunded'], 'order_refunded', 'refunded'],
      ['a second failed payment', ['payment_failed'], 'payment_failed', 'payment_failed'],
    ])('answers %s already_applied: nothing changes, nothing is flagged, no history row', async (_name, before, event, status) => {
      await order('o');
      for (const e of before) await send(e, 'o');
      const stockBefore = await stock();
      const historyBefore = (await admin(t.url, 'GET', '/orders/o')).body.history;
      const res = await send(event, 'o');
      expect(res.body).toMatchObject({ status: 'ignored', reason: 'already_applied', order_status: status });
      expect((await admin(t.url, 'GET', '/orders/o')).body).toMatchObject({ status, needs_attention: false, history: historyBefore });
      expect(await stock()).toEqual(stockBefore);
    });

    it('ignores a second payment under another payment id as a double charge, and flags the order', async () => {
      await order('o');
      expect((await send('payment_succeeded', 'o', { payment_id: 'pay_1' })).body).toMatchObject({ status: 'processed', order_status: 'paid' });
      expect((await send('payment_succeeded', 'o', { payment_id: 'pay_1' })).body).toMatchObject({ status: 'ignored', reason: 'already_applied' });
      expect((await admin(t.url, 'GET', '/orders/o')).body).toMatchObject({ needs_attention: false, payment_id: 'pay_1' });
      const res = await send('payment_succeeded', 'o', { payment_id: 'pay_2' });
      expect(res.body).toMatchObject({ status: 'ignored', reason: 'double_charge', order_status: 'paid' });
      expect((await admin(t.url, 'GET', '/orders/o')).body).toMatchObject({ status: 'paid', needs_attention: true, payment_id: 'pay_1' });
      expect(await stock()).toEqual({ A: { on_hand: 10, reserved: 2 }, B: { on_hand: 10, reserved: 1 } });
    });

    it.each([['rejected'], ['cancelled']])('flags a %s order that gets paid as needing attention', async (status) => {
      if (status === 'rejected') {
        await deliver(t.url, newOrderEvent({ orderId: 'o', items: [{ sku: 'A', quantity: 99 }] }));
      } else {
        await order('o');
        await send('order_cancelled', 'o');
      }
      const res = await send('payment_succeeded', 'o');
      expect(res.body).toMatchObject({ status: 'ignored', reason: `payment_for_${status}_order` });
      const view = await admin(t.url, 'GET', '/orders/o');
      expect(view.body).toMatchObject({ status, needs_attention: true });
    });
  });

  describe('out-of-order delivery', () => {
    it('defers events for an order not seen yet and applies them when it arrives', async () => {
      const early = await send('payment_succeeded', 'late');
      expect(early.body).toMatchObject({ status: 'deferred', reason: 'order_not_found' });
      expect(await count(t.db, 'orders')).toBe(0);
      const created = await order('late');
      // The answer tells where the order ended, once the deferred payment applied too.
      expect(created.body).toMatchObject({ status: 'processed', order_status: 'paid' });
      expect(await statusOf('late')).toBe('paid');
      const [row] = await t.db.query(`SELECT status FROM webhook_events WHERE event_type = 'payment_succeeded'`);
      expect(row.status).toBe('processed');
    });

    it('defers fulfilment of an unpaid order until it is paid', async () => {
      await order('o');
      const early = await send('order_fulfilled', 'o');
      expect(early.body).toMatchObject({ status: 'deferred', order_status: 'pending' });
      expect(await stock()).toEqual({ A: { on_hand: 10, reserved: 2 }, B: { on_hand: 10, reserved: 1 } });
      const paid = await send('payment_succeeded', 'o');
      expect(paid.body).toMatchObject({ status: 'processed', order_status: 'fulfilled' });
      expect(await statusOf('o')).toBe('fulfilled');
      expect(await stock()).toEqual({ A: { on_hand: 8, reserved: 0 }, B: { on_hand: 9, reserved: 0 } });
    });

    it('ignores a deferred event once the order can no longer reach a status that allows it', async () => {
      await order('o');
      await send('order_fulfilled', 'o');
      await send('order_cancelled', 'o');
      const [row] = await t.db.query(`SELECT status, reason FROM webhook_events WHERE event_type = 'order_fulfilled'`);
      expect(row.status).toBe('ignored');
      expect(await statusOf('o')).toBe('cancelled');
      expect(await stock()).toEqual({ A: { on_hand: 10, reserved: 0 }, B: { on_hand: 10, reserved: 0 } });
    });

    const events = ['new_order', 'payment_succeeded', 'order_fulfilled', 'order_refunded'];
    const permutations = (items: string[]): string[][] =>
      items.length <= 1 ? [items] : items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));

    it('ends every one of the 24 arrival orders of a four-event lifecycle in the same state and stock', async () => {
      const all = permutations(events);
      expect(all).toHaveLength(24);
      await t.db.query(`UPDATE stock SET on_hand = 1000`);
      await t.db.query(`UPDATE stock_movements SET on_hand_delta = 1000`);
      for (const [n, arrival] of all.entries()) {
        const id = `perm-${n}`;
        for (const event of arrival) {
          const res =
            event === 'new_order'
              ? await deliver(t.url, newOrderEvent({ orderId: id, items: [{ sku: 'A', quantity: 3 }] }))
              : await send(event, id, event === 'order_refunded' ? { restock: true } : {});
          expect(res.status).toBe(200);
        }
        expect([arrival.join(' > '), await statusOf(id)]).toEqual([arrival.join(' > '), 'refunded']);
      }
      // Each order ends refunded with its units back: either shipped and restocked, or (when the
      // refund arrived while it was only paid) released, the fulfilment then ignored for good.
      expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 1000, reserved: 0 });
      const perOrder = await t.db.query(
        `SELECT order_id, sum(on_hand_delta)::int AS on_hand, sum(reserved_delta)::int AS reserved
           FROM stock_movements WHERE order_id IS NOT NULL GROUP BY order_id`,
      );
      expect(perOrder).toHaveLength(24);
      expect(perOrder.every((row: { on_hand: number; reserved: number }) => row.on_hand === 0 && row.reserved === 0)).toBe(true);
      expect(await count(t.db, 'webhook_events', `status = 'deferred'`)).toBe(0);
      expect(await ledgerMismatches(t.db)).toEqual([]);
    });

    it('ends a backwards lifecycle where the same lifecycle delivered in order ends', async () => {
      for (const event of ['order_cancelled', 'order_refunded', 'order_fulfilled', 'payment_succeeded', 'payment_failed']) {
        expect((await send(event, 'back')).body.status).toBe('deferred');
      }
      await order('back');
      await order('fwd');
      for (const event of ['payment_failed', 'payment_succeeded', 'order_fulfilled', 'order_refunded', 'order_cancelled']) {
        await send(event, 'fwd');
      }
      const back = (await admin(t.url, 'GET', '/orders/back')).body;
      const fwd = (await admin(t.url, 'GET', '/orders/fwd')).body;
      expect(back.status).toBe('refunded');
      expect([back.status, back.needs_attention]).toEqual([fwd.status, fwd.needs_attention]);
      const path = (h: { from_status: string; to_status: string }[]) => h.map((x) => `${x.from_status}>${x.to_status}`);
      expect(path(back.history as never)).toEqual(path(fwd.history as never));
    });

    it('flags a paid order that is cancelled, whichever order the two arrive in', async () => {
      await order('inorder');
      await send('payment_succeeded', 'inorder');
      await send('order_cancelled', 'inorder');
      await send('order_cancelled', 'backwards');
      await send('payment_succeeded', 'backwards');
      await order('backwards');
      for (const id of ['inorder', 'backwards']) {
        expect((await admin(t.url, 'GET', `/orders/${id}`)).body).toMatchObject({ status: 'cancelled', needs_attention: true });
      }
    });

    it('holds an order\'s later deferred events behind one that fails, and resumes when it is replayed', async () => {
      // Fulfilment fails inside the database, after its transition was written: the savepoint must undo it.
      const repair = await failInserts(t.db, {
        name: 'fail_fulfilment',
        table: 'stock_movements',
        when: `NEW.kind = 'commit'`,
        message: 'the warehouse system is down',
      });
      try {
        await order('held');
        await send('order_refunded', 'held');
        await send('order_fulfilled', 'held');
        const paid = await send('payment_succeeded', 'held');
        expect(paid.body).toMatchObject({ status: 'processed', order_status: 'paid' });
        const events = await t.db.query(`SELECT event_type, status FROM webhook_events WHERE order_id = 'held' ORDER BY id`);
        expect(events).toEqual([
          { event_type: 'new_order', status: 'processed' },
          { event_type: 'order_refunded', status: 'deferred' },
          { event_type: 'order_fulfilled', status: 'failed' },
          { event_type: 'payment_succeeded', status: 'processed' },
        ]);
        expect(await statusOf('held')).toBe('paid');
        expect(await stock()).toEqual({ A: { on_hand: 10, reserved: 2 }, B: { on_hand: 10, reserved: 1 } });
      } finally {
        await repair();
      }
      const [{ id }] = await t.db.query(`SELECT id FROM webhook_events WHERE event_type = 'order_fulfilled'`);
      const replayed = await admin(t.url, 'POST', `/webhook-events/${id}/replay`);
      expect(replayed.body).toMatchObject({ status: 'processed' });
      // The refund waited for the fulfilment and now applies after it, as delivered in order.
      expect(await statusOf('held')).toBe('refunded');
      expect(await stock()).toEqual({ A: { on_hand: 8, reserved: 0 }, B: { on_hand: 9, reserved: 0 } });
      expect(await ledgerMismatches(t.db)).toEqual([]);
    });
  });

  it('applies payments racing their orders once the orders exist, leaving nothing deferred', async () => {
    await t.db.query(`UPDATE stock SET on_hand = 1000`);
    await t.db.query(`UPDATE stock_movements SET on_hand_delta = 1000`);
    const ids = Array.from({ length: 40 }, (_, i) => `race-${i}`);
    await Promise.all(ids.flatMap((id) => [order(id), send('payment_succeeded', id)]));
    expect(await count(t.db, 'webhook_events', `status = 'deferred'`)).toBe(0);
    expect(await count(t.db, 'orders', `status = 'paid'`)).toBe(40);
  });

  it('serialises concurrent events for one order', async () => {
    await order('c');
    const answers = await Promise.all([
      send('payment_succeeded', 'c'),
      send('order_fulfilled', 'c'),
      send('order_cancelled', 'c'),
      send('payment_failed', 'c'),
      send('order_refunded', 'c', { restock: true }),
    ]);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(await count(t.db, 'webhook_events', `status = 'deferred'`)).toBeLessThanOrEqual(4);
    // Whatever the interleaving, the counters match the ledger and the order's history is one chain.
    expect(await ledgerMismatches(t.db)).toEqual([]);
    const history = (await admin(t.url, 'GET', '/orders/c')).body.history as { from_status: string | null; to_status: string }[];
    for (let i = 1; i < history.length; i++) expect(history[i].from_status).toBe(history[i - 1].to_status);
    const a = (await stockOf(t.db, 'A'))!;
    expect(a.reserved).toBeGreaterThanOrEqual(0);
    expect(a.reserved).toBeLessThanOrEqual(a.on_hand);
  });

  it('never deadlocks when cancellations of orders listing the same SKUs in opposite orders race', async () => {
    const ids = Array.from({ length: 10 }, (_, i) => `opp-${i}`);
    for (const [i, orderId] of ids.entries()) {
      const items = i % 2 ? [{ sku: 'A', quantity: 1 }, { sku: 'B', quantity: 1 }] : [{ sku: 'B', quantity: 1 }, { sku: 'A', quantity: 1 }];
      expect((await deliver(t.url, newOrderEvent({ id: `new-${orderId}`, orderId, items }))).body).toMatchObject({ order_status: 'pending' });
    }
    const deadlocksBefore = await transactionRetries(t.url, '40P01');
    // As for new orders (new-order.spec.ts), the interleaving that deadlocks unless rows are locked in SKU
    // order: B, the row that sorts last, is held; the first cancellation's order lists it first.
    const held = await holdStockRows(['B']);
    const pending: Promise<Answer>[] = [];
    try {
      pending.push(send('order_cancelled', ids[0]));
      await held.waitForWaiters(1);
      pending.push(send('order_cancelled', ids[1]));
      await held.waitForWaiters(2);
      for (const orderId of ids.slice(2)) pending.push(send('order_cancelled', orderId));
    } finally {
      await held.release();
    }
    const answers = await Promise.all(pending);

    for (const a of answers) expect(a.body).toMatchObject({ status: 'processed', order_status: 'cancelled' });
    expect(await stock()).toEqual({ A: { on_hand: 10, reserved: 0 }, B: { on_hand: 10, reserved: 0 } });
    expect(await ledgerMismatches(t.db)).toEqual([]);
    // A deadlock is retried, so the answers above would hide one: none was retried.
    expect((await transactionRetries(t.url, '40P01')) - deadlocksBefore).toBe(0);
  });

  it('keeps a deferred event that fails when its turn comes as failed, without failing the delivery that released it', async () => {
    expect((await send('order_cancelled', 'poison')).body.status).toBe('deferred');
    // A stored body that no longer validates (as after a stricter release) stands for any failure.
    await t.db.query(
      `UPDATE webhook_events SET raw_body = convert_to('{"event":"order_cancelled","data":{"order_id":"poison","reason":42}}', 'UTF8')
        WHERE event_type = 'order_cancelled'`,
    );
    await send('payment_succeeded', 'poison');
    const created = await order('poison');
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ status: 'processed', order_status: 'paid' });
    const events = await t.db.query(`SELECT event_type, status, last_error FROM webhook_events ORDER BY id`);
    expect(events).toEqual([
      { event_type: 'order_cancelled', status: 'failed', last_error: expect.stringContaining('reason') },
      { event_type: 'payment_succeeded', status: 'processed', last_error: null },
      { event_type: 'new_order', status: 'processed', last_error: null },
    ]);
    expect(await stock()).toEqual({ A: { on_hand: 10, reserved: 2 }, B: { on_hand: 10, reserved: 1 } });
  });

  it('answers 400 for a lifecycle event with bad data, and stores nothing', async () => {
    const res = await deliver(t.url, JSON.stringify({ event: 'order_refunded', data: { order_id: 'o', restock: 'yes' } }));
    expect(res.status).toBe(400);
    expect((res.body.errors as { field: string }[]).map((e) => e.field)).toEqual(['data.restock']);
    expect(await count(t.db, 'webhook_events')).toBe(0);
  });
});
