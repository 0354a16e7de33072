import { beforeEach, describe, expect, it } from '@jest/globals';
import { GroupCommit } from '../src/webhooks/pipeline/group-commit.js';
import { readStored } from '../src/webhooks/providers/provider.js';
import { ShelfsyncProvider } from '../src/webhooks/providers/shelfsync.provider.js';
import { count, failInserts, ledgerMismatches, resetDatabase, seedStock, stockOf } from './support/database.js';
import { holdStockRows } from './support/held-rows.js';
import { metricsPage, sampleOf, transactionRetries } from './support/metrics.js';
import { failedDelivery, useServiceLogs } from './support/service-logs.js';
import { type Answer, deliver, newOrderEvent, useTestApp, type TestApp } from './support/test-app.js';

/** The group-commit histogram so far: transactions, the deliveries they held, and those of more than 8 deliveries. */
async function batchFigures(t: TestApp): Promise<{ transactions: number; deliveries: number; overEight: number }> {
  const page = await metricsPage(t.url);
  const transactions = sampleOf(page, 'shelfsync_group_commit_batch_size_count');
  return {
    transactions,
    deliveries: sampleOf(page, 'shelfsync_group_commit_batch_size_sum'),
    overEight: transactions - sampleOf(page, 'shelfsync_group_commit_batch_size_bucket{le="8"}'),
  };
}

/**
 * Sends every body at once while a connection holds the stock row of `sku`:
 * the first transactions wait for it, the deliveries that arrive meanwhile
 * queue behind them, and those go together once it is let go.
 */
async function deliverTogether(t: TestApp, bodies: string[], sku: string): Promise<Answer[]> {
  const held = await holdStockRows([sku]);
  let answers: Promise<Answer[]>;
  try {
    answers = Promise.all(bodies.map((body) => deliver(t.url, body)));
    // The first transaction waits; a moment more for the rest to arrive (any that come later share
    // transactions of their own).
    await held.waitForWaiters(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
  } finally {
    await held.release();
  }
  return answers;
}

function tally(answers: Answer[]): Record<string, number> {
  const seen: Record<string, number> = {};
  for (const a of answers) {
    const key = a.status === 200 ? String(a.body.status) : String(a.status);
    seen[key] = (seen[key] ?? 0) + 1;
  }
  return seen;
}

describe('group commit of concurrent new_order deliveries', () => {
  const t = useTestApp();
  const logs = useServiceLogs();
  beforeEach(async () => {
    await t.db.query(`DROP TRIGGER IF EXISTS fail_poison ON orders`);
    await resetDatabase(t.db);
  });

  it('gives concurrent deliveries sharing transactions the outcomes they would have had one by one', async () => {
    await seedStock(t.db, { A: 10 });
    const before = await batchFigures(t);
    const bodies = Array.from({ length: 40 }, (_, i) => newOrderEvent({ id: `evt-${i}`, orderId: `o-${i}`, items: [{ sku: 'A', quantity: 1 }] }));
    const deliveries = [
      ...bodies,
      // the same deliveries again: duplicates, whichever of the two comes first
      ...bodies.slice(0, 10),
      // new events naming orders that exist by then or are created in the same batch: they change nothing
      ...Array.from({ length: 10 }, (_, i) => newOrderEvent({ id: `again-${i}`, orderId: `o-${i}`, items: [{ sku: 'A', quantity: 1 }] })),
    ];
    const answers = await deliverTogether(t, deliveries, 'A');

    expect(tally(answers)).toEqual({ processed: 40, duplicate: 10, ignored: 10 });
    for (const a of answers.filter((a) => a.body.status === 'ignored')) expect(a.body.reason).toBe('order_already_exists');
    // 10 units: exactly 10 orders have them, the others were rejected with nothing reserved.
    const statuses = await t.db.query(`SELECT status, count(*)::int AS n FROM orders GROUP BY status ORDER BY status`);
    expect(statuses).toEqual([
      { status: 'pending', n: 10 },
      { status: 'rejected', n: 30 },
    ]);
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 10, reserved: 10 });
    expect(await count(t.db, 'stock_movements', `kind = 'reserve'`)).toBe(10);
    expect(await ledgerMismatches(t.db)).toEqual([]);
    // One creation record per order, one event record per distinct event.
    expect(await count(t.db, 'order_status_history')).toBe(40);
    expect(await count(t.db, 'order_status_history', `to_status = 'rejected' AND reason LIKE 'insufficient_stock: A'`)).toBe(30);
    expect(await count(t.db, 'webhook_events')).toBe(50);
    expect(await count(t.db, 'webhook_events', `status = 'ignored' AND reason = 'order_already_exists'`)).toBe(10);
    // Each order was created by exactly one delivery (whichever of its two events came first),
    // and that delivery answered the status the order has.
    const stored = new Map((await t.db.query(`SELECT order_id, status FROM orders`)).map((r: { order_id: string; status: string }) => [r.order_id, r.status]));
    const creators = answers.filter((a) => a.body.status === 'processed');
    const createdOrders = creators.map((a) => `o-${String(a.body.event_id).replace(/^(evt|again)-/, '')}`);
    expect(new Set(createdOrders).size).toBe(40);
    creators.forEach((a, i) => expect(a.body.order_status).toBe(stored.get(createdOrders[i])));

    // The deliveries did share transactions, many to one: one transaction held more than 8 of them, and
    // there were at most a quarter as many transactions as deliveries (batches of two would make 30).
    const after = await batchFigures(t);
    expect(after.deliveries - before.deliveries).toBe(60);
    expect(after.overEight - before.overEight).toBeGreaterThanOrEqual(1);
    expect(after.transactions - before.transactions).toBeLessThanOrEqual(60 / 4);
  });

  it('fails only the delivery that breaks a shared transaction; the others are applied', async () => {
    await seedStock(t.db, { A: 100 });
    await failInserts(t.db, { name: 'fail_poison', table: 'orders', when: `NEW.order_id = 'poison'`, message: 'poisoned order' });
    const before = await batchFigures(t);
    const bodies = Array.from({ length: 39 }, (_, i) => newOrderEvent({ id: `evt-${i}`, orderId: `o-${i}`, items: [{ sku: 'A', quantity: 1 }] }));
    bodies.splice(20, 0, newOrderEvent({ id: 'evt-poison', orderId: 'poison', items: [{ sku: 'A', quantity: 1 }] }));
    const answers = await deliverTogether(t, bodies, 'A');

    expect(tally(answers)).toEqual({ processed: 39, 500: 1 });
    expect(answers[20].status).toBe(500);
    expect(await logs.errors()).toEqual(failedDelivery('evt-poison', /^QueryFailedError: poisoned order/));
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 100, reserved: 39 });
    expect(await ledgerMismatches(t.db)).toEqual([]);
    const [poison] = await t.db.query(`SELECT status, last_error FROM webhook_events WHERE event_id = 'evt-poison'`);
    expect(poison.status).toBe('failed');
    expect(poison.last_error).toMatch(/poisoned order/);
    expect(await count(t.db, 'orders', `order_id = 'poison'`)).toBe(0);
    // The 40 shared a few large transactions (batches of two would make 20).
    const after = await batchFigures(t);
    expect(after.overEight - before.overEight).toBeGreaterThanOrEqual(1);
    expect(after.transactions - before.transactions).toBeLessThanOrEqual(40 / 4);
  });

  it('applies the events waiting for orders that arrive together (their batch goes one by one)', async () => {
    await seedStock(t.db, { A: 100 });
    for (let i = 0; i < 5; i++) {
      const early = await deliver(t.url, JSON.stringify({ id: `pay-${i}`, event: 'payment_succeeded', data: { order_id: `o-${i}` } }));
      expect(early.body).toMatchObject({ status: 'deferred', reason: 'order_not_found' });
    }
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        deliver(t.url, newOrderEvent({ id: `evt-${i}`, orderId: `o-${i}`, items: [{ sku: 'A', quantity: 1 }] })),
      ),
    );
    answers.forEach((a, i) => expect(a.body).toMatchObject({ status: 'processed', order_status: i < 5 ? 'paid' : 'pending' }));
    expect(await count(t.db, 'orders', `status = 'paid'`)).toBe(5);
    expect(await count(t.db, 'webhook_events', `status = 'deferred'`)).toBe(0);
    expect(await count(t.db, 'order_status_history', `to_status = 'paid' AND webhook_event_id IS NOT NULL`)).toBe(5);
  });
});

describe('the database functions of the hot path, called directly with a known arrival order', () => {
  const t = useTestApp();
  beforeEach(() => resetDatabase(t.db));

  /** Claims new_order deliveries on the default source in the order given (claim_deliveries.sql). */
  async function claim(
    items: { id: string; body: string; orderId?: string; type?: string; bytesPerType?: boolean }[],
  ): Promise<{ record_id: string | null; order_awaited: boolean }[]> {
    return t.db.query(
      `SELECT record_id, order_awaited FROM shelfsync_claim_deliveries(
         p_deliveries => $1::jsonb, p_raw_bodies => $2::bytea[], p_status => 'processed', p_settled => true, p_error => NULL)
        ORDER BY delivery`,
      [
        JSON.stringify(
          items.map((i) => ({
            source: 'default', event_id: i.id, event_type: i.type ?? 'new_order', order_id: i.orderId ?? null, headers: {}, id_is_signed: false,
            bytes_per_type: i.bytesPerType ?? false,
          })),
        ),
        items.map((i) => Buffer.from(i.body)),
      ],
    );
  }
  const ids = async (items: Parameters<typeof claim>[0]) => (await claim(items)).map((c) => c.record_id);

  /** Creates orders of one line each in the order given (create_orders.sql), with the state machine's statuses. */
  async function createOrders(
    orders: { orderId: string; lines: { sku: string; quantity: number }[]; eventId: string }[],
  ): Promise<{ created: boolean; status: string }[]> {
    return t.db.query(
      `SELECT created, status FROM shelfsync_create_orders(
         p_orders => $1::jsonb, p_status_when_reserved => 'pending', p_status_when_short => 'rejected', p_reason_when_short => 'insufficient_stock',
         p_unit_deltas => '{"reserve": {"on_hand": 0, "reserved": 1}}')
        ORDER BY request`,
      [
        JSON.stringify(
          orders.map((o) => ({
            order_id: o.orderId, customer_name: 'Customer', customer_email: null, total_amount: 10, currency: 'USD',
            source: 'default', webhook_event_id: o.eventId, lines: o.lines,
          })),
        ),
      ],
    );
  }

  it('claims a capture resent under another id as a duplicate, and the genuine event under that id after it', async () => {
    const claimed = await ids([
      { id: 'b', body: 'X' },
      { id: 'a2', body: 'X' },
      { id: 'a2', body: 'Y' },
    ]);
    expect([claimed[0] !== null, claimed[1], claimed[2] !== null]).toEqual([true, null, true]);
    const rows = await t.db.query(`SELECT event_id, convert_from(raw_body, 'UTF8') AS body FROM webhook_events ORDER BY id`);
    expect(rows).toEqual([
      { event_id: 'b', body: 'X' },
      { event_id: 'a2', body: 'Y' },
    ]);
  });

  it('keys identical bytes under any type, or per type where the provider says its types are harmless on each other\'s bytes', async () => {
    const claimed = await ids([
      { id: 'c1', body: 'SAME', type: 'order.created' },
      { id: 'u1', body: 'SAME', type: 'order.updated' },
      { id: 'c2', body: 'ALIKE', type: 'order.created', bytesPerType: true },
      { id: 'u2', body: 'ALIKE', type: 'order.updated', bytesPerType: true },
      { id: 'u3', body: 'ALIKE', type: 'order.updated', bytesPerType: true },
    ]);
    expect(claimed.map((id) => id !== null)).toEqual([true, false, true, true, false]);
  });

  it('takes up a failed delivery again once, however many copies of it a batch holds', async () => {
    const [id] = await ids([{ id: 'f', body: 'F' }]);
    await t.db.query(`UPDATE webhook_events SET status = 'failed' WHERE id = $1`, [id]);
    expect(await ids([{ id: 'f', body: 'F' }, { id: 'f', body: 'F' }])).toEqual([id, null]);
    const [row] = await t.db.query(`SELECT status, attempts FROM webhook_events WHERE id = $1`, [id]);
    expect(row).toEqual({ status: 'processed', attempts: 2 });
    expect(await ids([{ id: 'f', body: 'F' }])).toEqual([null]);
  });

  it('tells which claimed deliveries have deliveries waiting for their order', async () => {
    await t.db.query(
      `INSERT INTO webhook_events (source, event_id, event_type, order_id, status, reason, headers, raw_body)
       VALUES ('default', 'cancel-o1', 'order_cancelled', 'o1', 'deferred', 'order_not_found', '{}', 'c')`,
    );
    const claimed = await claim(['o1', 'o2', 'o1'].map((o, i) => ({ id: `e-${i}`, body: `${o}-${i}`, orderId: o })));
    expect(claimed.map((c) => c.order_awaited)).toEqual([true, false, true]);
    // A duplicate claims nothing, so nothing waits for it.
    expect((await claim([{ id: 'e-0', body: 'o1-0', orderId: 'o1' }])).map((c) => c.order_awaited)).toEqual([false]);
  });

  // The allocation rule (allocate_stock.sql), as a table: stock before, requests in arrival order, what each gets.
  it.each([
    { title: 'the last units go to the earliest orders, each all or nothing', stock: { A: 2 },
      requests: [[['A', 1]], [['A', 2]], [['A', 1]], [['A', 1]]], granted: [true, false, true, false], reserved: { A: 2 } },
    { title: 'lines naming one SKU are added up', stock: { A: 3 },
      requests: [[['A', 2], ['A', 2]], [['A', 1], ['A', 2]]], granted: [false, true], reserved: { A: 3 } },
    { title: 'one short line refuses the whole order, and its other SKUs stay available', stock: { A: 5, B: 1 },
      requests: [[['A', 2], ['B', 2]], [['A', 5]]], granted: [false, true], reserved: { A: 5, B: 0 } },
    { title: 'a SKU with no stock row has nothing available', stock: { A: 5 },
      requests: [[['A', 1], ['NEW', 1]], [['A', 1]]], granted: [false, true], reserved: { A: 1 } },
    { title: 'an order without lines is granted', stock: { A: 1 }, requests: [[]], granted: [true], reserved: { A: 0 } },
    { title: 'exactly what is available is granted', stock: { A: 4, B: 4 },
      requests: [[['B', 4], ['A', 4]], [['A', 1]]], granted: [true, false], reserved: { A: 4, B: 4 } },
  ] as { title: string; stock: Record<string, number>; requests: (string | number)[][][]; granted: boolean[]; reserved: Record<string, number> }[])('allocates stock: $title', async ({ stock, requests, granted, reserved }) => {
    await seedStock(t.db, stock);
    const claimed = await ids(requests.map((_, i) => ({ id: `e-${i}`, body: `b-${i}`, orderId: `o-${i}` })));
    const results = await createOrders(
      requests.map((lines, i) => ({ orderId: `o-${i}`, eventId: claimed[i]!, lines: lines.map(([sku, quantity]) => ({ sku: sku as string, quantity: quantity as number })) })),
    );
    expect(results.map((r: { status: string }) => r.status === 'pending')).toEqual(granted);
    for (const [sku, units] of Object.entries(reserved)) expect((await stockOf(t.db, sku))?.reserved).toBe(units);
    expect(await ledgerMismatches(t.db)).toEqual([]);
    // One creation record per order; the rejected ones name what they were short of.
    expect(await count(t.db, 'order_status_history', `from_status IS NULL`)).toBe(requests.length);
    expect(await count(t.db, 'order_status_history', `to_status = 'rejected' AND reason LIKE 'insufficient_stock: %'`)).toBe(granted.filter((g) => !g).length);
  });

  it('creates an order id once, for the first request that names it', async () => {
    await seedStock(t.db, { A: 5 });
    const claimed = await ids(['x', 'x', 'y'].map((o, i) => ({ id: `e-${i}`, body: `b-${i}`, orderId: o })));
    const results = await createOrders([
      { orderId: 'x', eventId: claimed[0]!, lines: [{ sku: 'A', quantity: 1 }] },
      { orderId: 'x', eventId: claimed[1]!, lines: [{ sku: 'A', quantity: 3 }] },
      { orderId: 'y', eventId: claimed[2]!, lines: [{ sku: 'A', quantity: 4 }] },
    ]);
    expect(results).toEqual([
      { created: true, status: 'pending' },
      { created: false, status: 'pending' },
      { created: true, status: 'pending' },
    ]);
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 5, reserved: 5 });
    expect(await count(t.db, 'order_lines', `order_id = 'x'`)).toBe(1);
  });

  it('answers a request for an order that exists with that order status, in the batch and after it', async () => {
    await seedStock(t.db, { A: 1 });
    const claimed = await ids(['x', 'x', 'x'].map((o, i) => ({ id: `e-${i}`, body: `b-${i}`, orderId: o })));
    // The first is short of stock, so the order is rejected; the second names the same order in the batch.
    expect(
      await createOrders([
        { orderId: 'x', eventId: claimed[0]!, lines: [{ sku: 'A', quantity: 2 }] },
        { orderId: 'x', eventId: claimed[1]!, lines: [{ sku: 'A', quantity: 1 }] },
      ]),
    ).toEqual([
      { created: true, status: 'rejected' },
      { created: false, status: 'rejected' },
    ]);
    await t.db.query(`UPDATE orders SET status = 'cancelled' WHERE order_id = 'x'`);
    expect(await createOrders([{ orderId: 'x', eventId: claimed[2]!, lines: [{ sku: 'A', quantity: 1 }] }])).toEqual([
      { created: false, status: 'cancelled' },
    ]);
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 1, reserved: 0 });
  });
});

describe('a batch that one delivery breaks, in a known arrival order', () => {
  const t = useTestApp();
  beforeEach(async () => {
    await t.db.query(`DROP TRIGGER IF EXISTS fail_poison ON orders`);
    await resetDatabase(t.db);
  });

  it('is tried again one delivery after another, in arrival order, so the stock goes where it would have gone', async () => {
    await seedStock(t.db, { A: 1 });
    await failInserts(t.db, { name: 'fail_poison', table: 'orders', when: `NEW.order_id = 'poison'`, message: 'poisoned order' });
    const groupCommit = t.app.get(GroupCommit);
    const provider = new ShelfsyncProvider();
    const batch = ['first', 'poison', 'second'].map((orderId) => {
      const body = Buffer.from(newOrderEvent({ id: `evt-${orderId}`, orderId, items: [{ sku: 'A', quantity: 1 }] }));
      return { source: 'default', idIsSigned: false, bytesPerType: false, headers: {}, rawBody: body, read: readStored(provider, body, {}) };
    });
    const results = await groupCommit.applyBatch(batch);

    expect(results.map((r) => (r.status === 'fulfilled' ? r.value.order_status : 'failed'))).toEqual(['pending', 'failed', 'rejected']);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value.event_id : undefined))).toEqual(['evt-first', undefined, 'evt-second']);
    expect(await t.db.query(`SELECT order_id, status FROM orders ORDER BY order_id`)).toEqual([
      { order_id: 'first', status: 'pending' },
      { order_id: 'second', status: 'rejected' },
    ]);
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 1, reserved: 1 });
    const [poison] = await t.db.query(`SELECT status FROM webhook_events WHERE event_id = 'evt-poison'`);
    expect(poison.status).toBe('failed');
    expect(await ledgerMismatches(t.db)).toEqual([]);
  });
});

describe('a cancellation waiting for an order of a batch', () => {
  const t = useTestApp();
  beforeEach(() => resetDatabase(t.db));

  it('frees its units for the orders after it, as one by one', async () => {
    await seedStock(t.db, { A: 1 });
    const early = await deliver(t.url, JSON.stringify({ id: 'cancel-0', event: 'order_cancelled', data: { order_id: 'o-0' } }));
    expect(early.body).toMatchObject({ status: 'deferred' });
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => deliver(t.url, newOrderEvent({ id: `evt-${i}`, orderId: `o-${i}`, items: [{ sku: 'A', quantity: 1 }] }))),
    );
    expect(answers.every((a) => a.status === 200)).toBe(true);
    // Whichever came first, the one unit ends reserved by exactly one of o-1..o-9, never left unused.
    expect(await count(t.db, 'orders', `status = 'pending' AND order_id <> 'o-0'`)).toBe(1);
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 1, reserved: 1 });
    expect(await ledgerMismatches(t.db)).toEqual([]);
  });
});

describe('batches whose orders have events waiting, on two instances at once', () => {
  const t = useTestApp();
  const other = useTestApp();
  beforeEach(() => resetDatabase(t.db));

  it('never deadlock: a batch takes every stock row its orders can move before the first, in SKU order', async () => {
    const skus = ['A', 'B', 'C'];
    await seedStock(t.db, Object.fromEntries(skus.map((sku) => [sku, 10_000])));
    const orders = 240;
    // Every order has a payment waiting, so each one's creation goes alone inside its batch and its payment
    // follows it there: a batch moves the stock of one order after another, each with its own SKU.
    for (let i = 0; i < orders; i += 40) {
      await Promise.all(
        Array.from({ length: 40 }, (_, k) =>
          deliver(t.url, JSON.stringify({ id: `pay-${i + k}`, event: 'payment_succeeded', data: { order_id: `w-${i + k}` } })),
        ),
      );
    }
    const deadlocksBefore = (await transactionRetries(t.url, '40P01')) + (await transactionRetries(other.url, '40P01'));
    const batchesBefore = [await batchFigures(t), await batchFigures(other)];
    const answers = await Promise.all(
      Array.from({ length: orders }, (_, i) =>
        deliver((i % 2 ? t : other).url, newOrderEvent({ id: `evt-${i}`, orderId: `w-${i}`, items: [{ sku: skus[(i * 7) % 3], quantity: 1 }] })),
      ),
    );
    expect(answers.filter((a) => a.status !== 200).map((a) => a.body)).toEqual([]);
    expect(await count(t.db, 'orders', `status = 'paid'`)).toBe(orders);
    expect(await ledgerMismatches(t.db)).toEqual([]);
    // A deadlock costs its transaction a second (deadlock_timeout) and a retry, which the answers hide.
    const deadlocks = (await transactionRetries(t.url, '40P01')) + (await transactionRetries(other.url, '40P01')) - deadlocksBefore;
    expect(deadlocks).toBe(0);
    // And they did share transactions: batches of several orders each, each batch several runs.
    const batchesAfter = [await batchFigures(t), await batchFigures(other)];
    const shared = batchesAfter.map((after, i) => ({
      transactions: after.transactions - batchesBefore[i].transactions,
      deliveries: after.deliveries - batchesBefore[i].deliveries,
    }));
    expect(shared.every((s) => s.deliveries >= 2 * s.transactions)).toBe(true);
  });
});
