import { beforeEach, describe, expect, it } from '@jest/globals';
import { count, ledgerMismatches, resetDatabase, seedStock, stockOf } from './support/database.js';
import { holdStockRows } from './support/held-rows.js';
import { transactionRetries } from './support/metrics.js';
import { admin, type Answer, deliver, newOrderEvent, useTestApp } from './support/test-app.js';

describe('new_order', () => {
  const t = useTestApp();
  beforeEach(() => resetDatabase(t.db));

  it('reserves every line and answers processed/pending', async () => {
    await seedStock(t.db, { 'SKU-1': 5, 'SKU-2': 3 });
    const res = await deliver(
      t.url,
      newOrderEvent({ id: 'evt-1', orderId: 'o-1', items: [{ sku: 'SKU-1', quantity: 2, unit_price: 50 }, { sku: 'SKU-2', quantity: 3 }] }),
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ event_id: 'evt-1', status: 'processed', order_status: 'pending' });
    expect(await stockOf(t.db, 'SKU-1')).toEqual({ on_hand: 5, reserved: 2 });
    expect(await stockOf(t.db, 'SKU-2')).toEqual({ on_hand: 3, reserved: 3 });
    expect(await count(t.db, 'order_lines', `order_id = 'o-1'`)).toBe(2);
    expect(await ledgerMismatches(t.db)).toEqual([]);
    const movements = await t.db.query(`SELECT sku, kind, reserved_delta, order_id FROM stock_movements WHERE kind = 'reserve' ORDER BY sku`);
    expect(movements).toEqual([
      { sku: 'SKU-1', kind: 'reserve', reserved_delta: 2, order_id: 'o-1' },
      { sku: 'SKU-2', kind: 'reserve', reserved_delta: 3, order_id: 'o-1' },
    ]);
  });

  it('sums lines that name the same SKU', async () => {
    await seedStock(t.db, { 'SKU-1': 4 });
    const res = await deliver(t.url, newOrderEvent({ orderId: 'o-2', items: [{ sku: 'SKU-1', quantity: 3 }, { sku: 'SKU-1', quantity: 2 }] }));
    expect(res.body).toMatchObject({ status: 'processed', order_status: 'rejected', reason: 'insufficient_stock' });
    expect(await stockOf(t.db, 'SKU-1')).toEqual({ on_hand: 4, reserved: 0 });
  });

  it('reserves nothing when one line of several is short, and rejects the order', async () => {
    await seedStock(t.db, { A: 10, B: 1, C: 10 });
    const res = await deliver(
      t.url,
      newOrderEvent({ orderId: 'o-3', items: [{ sku: 'A', quantity: 2 }, { sku: 'B', quantity: 2 }, { sku: 'C', quantity: 2 }] }),
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'processed', order_status: 'rejected', reason: 'insufficient_stock' });
    for (const sku of ['A', 'B', 'C']) expect((await stockOf(t.db, sku))!.reserved).toBe(0);
    expect(await count(t.db, 'stock_movements', `kind = 'reserve'`)).toBe(0);
    const order = await admin(t.url, 'GET', '/orders/o-3');
    expect(order.body).toMatchObject({ status: 'rejected', status_reason: 'insufficient_stock' });
    expect((order.body.history as { reason: string }[])[0].reason).toBe('insufficient_stock: B');
  });

  it('rejects an order naming an unknown SKU, and creates no stock row for it', async () => {
    await seedStock(t.db, { A: 10 });
    const res = await deliver(t.url, newOrderEvent({ orderId: 'o-4', items: [{ sku: 'A', quantity: 1 }, { sku: 'NOPE', quantity: 1 }] }));
    expect(res.body).toMatchObject({ order_status: 'rejected' });
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 10, reserved: 0 });
    expect(await stockOf(t.db, 'NOPE')).toBeUndefined();
  });

  it('accepts an order with no items as pending, reserving nothing', async () => {
    const res = await deliver(t.url, newOrderEvent({ orderId: 77 }));
    expect(res.body).toMatchObject({ status: 'processed', order_status: 'pending' });
    const order = await admin(t.url, 'GET', '/orders/77');
    expect(order.body).toMatchObject({ order_id: '77', items: [], total_amount: 10, currency: 'USD' });
  });

  it('sells the last 10 units exactly once when 50 orders race for them', async () => {
    await seedStock(t.db, { HOT: 10 });
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        deliver(t.url, newOrderEvent({ id: `race-${i}`, orderId: `race-${i}`, items: [{ sku: 'HOT', quantity: 1 }] })),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(200));
    const statuses = answers.map((a) => a.body.order_status);
    expect(statuses.filter((s) => s === 'pending')).toHaveLength(10);
    expect(statuses.filter((s) => s === 'rejected')).toHaveLength(40);
    expect(await count(t.db, 'orders', `status = 'pending'`)).toBe(10);
    expect(await count(t.db, 'orders', `status = 'rejected'`)).toBe(40);
    expect(await stockOf(t.db, 'HOT')).toEqual({ on_hand: 10, reserved: 10 });
    const stock = await admin(t.url, 'GET', '/inventory/HOT');
    expect(stock.body).toMatchObject({ on_hand: 10, reserved: 10, available: 0 });
    expect(await ledgerMismatches(t.db)).toEqual([]);
  });

  it('never deadlocks when orders lock the same SKUs listed in opposite orders', async () => {
    await seedStock(t.db, { X: 100, Y: 100 });
    const deadlocksBefore = await transactionRetries(t.url, '40P01');
    const order = (i: number) => {
      const items = i % 2 ? [{ sku: 'X', quantity: 1 }, { sku: 'Y', quantity: 1 }] : [{ sku: 'Y', quantity: 1 }, { sku: 'X', quantity: 1 }];
      return deliver(t.url, newOrderEvent({ orderId: `dl-${i}`, items }));
    };
    // The interleaving that deadlocks, for sure: a connection holds Y, the row that sorts last. The first
    // transaction lists Y first and waits for it; the second lists X first. Locking in SKU order, it waits
    // for X behind the first, which gets Y and then X. Locking in the order listed, it would take X and
    // queue for Y behind the first, which would get Y and then wait for X: a deadlock.
    const held = await holdStockRows(['Y']);
    const pending: Promise<Answer>[] = [];
    try {
      pending.push(order(0));
      await held.waitForWaiters(1);
      pending.push(order(1));
      await held.waitForWaiters(2);
      // The rest race as they come, in shared transactions.
      for (let i = 2; i < 40; i++) pending.push(order(i));
    } finally {
      await held.release();
    }
    const answers = await Promise.all(pending);

    expect(answers.every((a) => a.status === 200 && a.body.order_status === 'pending')).toBe(true);
    expect(await stockOf(t.db, 'X')).toEqual({ on_hand: 100, reserved: 40 });
    expect(await stockOf(t.db, 'Y')).toEqual({ on_hand: 100, reserved: 40 });
    // A deadlock is retried, so the answers above would hide one: none was retried.
    expect((await transactionRetries(t.url, '40P01')) - deadlocksBefore).toBe(0);
  });

  it('applies one event delivered 20 times at once exactly once', async () => {
    await seedStock(t.db, { S: 5 });
    const body = newOrderEvent({ id: 'evt-dup', orderId: 'dup-1', items: [{ sku: 'S', quantity: 2 }] });
    const answers = await Promise.all(Array.from({ length: 20 }, () => deliver(t.url, body)));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(answers.filter((a) => a.body.status === 'processed')).toHaveLength(1);
    expect(answers.filter((a) => a.body.status === 'duplicate')).toHaveLength(19);
    expect(answers.every((a) => a.body.event_id === 'evt-dup')).toBe(true);
    expect(await stockOf(t.db, 'S')).toEqual({ on_hand: 5, reserved: 2 });
    expect(await count(t.db, 'webhook_events')).toBe(1);
    expect(await count(t.db, 'stock_movements', `kind = 'reserve'`)).toBe(1);
  });

  it('changes nothing for a second new_order of an existing order under a new event id', async () => {
    await seedStock(t.db, { S: 5 });
    await deliver(t.url, newOrderEvent({ id: 'first', orderId: 'same', items: [{ sku: 'S', quantity: 2 }] }));
    const again = await deliver(t.url, newOrderEvent({ id: 'second', orderId: 'same', items: [{ sku: 'S', quantity: 3 }] }));
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ event_id: 'second', status: 'ignored', reason: 'order_already_exists', order_status: 'pending' });
    expect(await stockOf(t.db, 'S')).toEqual({ on_hand: 5, reserved: 2 });
    expect(await count(t.db, 'order_lines', `order_id = 'same'`)).toBe(1);
    const [event] = await t.db.query(`SELECT status, reason FROM webhook_events WHERE event_id = 'second'`);
    expect(event).toEqual({ status: 'ignored', reason: 'order_already_exists' });
  });

  it('records an unknown event type as ignored and changes nothing else', async () => {
    const res = await deliver(t.url, JSON.stringify({ id: 'evt-x', event: 'customer_waved', data: { hello: 1 } }));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ event_id: 'evt-x', status: 'ignored', reason: 'unknown_event_type' });
    const [event] = await t.db.query(`SELECT status, reason, event_type FROM webhook_events`);
    expect(event).toEqual({ status: 'ignored', reason: 'unknown_event_type', event_type: 'customer_waved' });
    expect(await count(t.db, 'orders')).toBe(0);
  });

  it('takes the event id from webhook-id, then the body id, then a digest of the body', async () => {
    const body = newOrderEvent({ id: 'body-id', orderId: 'ids-1' });
    const fromHeader = await deliver(t.url, body, { headers: { 'webhook-id': 'msg_1' } });
    const fromBody = await deliver(t.url, newOrderEvent({ id: 'body-id-2', orderId: 'ids-2' }));
    expect(fromHeader.body.event_id).toBe('msg_1');
    expect(fromBody.body.event_id).toBe('body-id-2');
    const again = await deliver(t.url, body, { headers: { 'webhook-id': 'msg_1' } });
    expect(again.body.status).toBe('duplicate');
  });

  it('takes a signed delivery replayed under a new webhook-id for a duplicate, so it cannot claim a future event id', async () => {
    await seedStock(t.db, { S: 5 });
    const captured = newOrderEvent({ id: 'evt_100', orderId: 'o100', items: [{ sku: 'S', quantity: 1 }] });
    expect((await deliver(t.url, captured)).body).toMatchObject({ event_id: 'evt_100', status: 'processed' });
    // An attacker resends the captured bytes and signature, naming the id of an event yet to come.
    const replayed = await deliver(t.url, captured, { headers: { 'webhook-id': 'evt_101' } });
    expect(replayed.body).toMatchObject({ status: 'duplicate' });
    const real = await deliver(t.url, newOrderEvent({ id: 'evt_101', orderId: 'o101' }), { headers: { 'webhook-id': 'evt_101' } });
    expect(real.body).toMatchObject({ event_id: 'evt_101', status: 'processed', order_status: 'pending' });
    expect(await count(t.db, 'webhook_events')).toBe(2);
    expect(await stockOf(t.db, 'S')).toEqual({ on_hand: 5, reserved: 1 });
  });

  it('accepts `type` as the event name', async () => {
    const res = await deliver(t.url, JSON.stringify({ type: 'new_order', data: { order_id: 't-1', customer_name: 'A', total_amount: 0 } }));
    expect(res.body).toMatchObject({ status: 'processed', order_status: 'pending' });
  });
});
