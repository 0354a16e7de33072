import { beforeEach, describe, expect, it } from '@jest/globals';
import { NewOrderHandler } from '../src/orders/new-order.handler.js';
import { WebhookIngestService } from '../src/webhooks/webhook-ingest.service.js';
import { count, failInserts, ledgerMismatches, resetDatabase, seedStock, stockOf } from './support/database.js';
import { type Answer, deliver, newOrderEvent, useTestApp, type TestApp } from './support/test-app.js';

/** Transactions and deliveries counted by the group-commit histogram so far. */
async function batchFigures(t: TestApp): Promise<{ transactions: number; deliveries: number }> {
  const text = await (await fetch(`${t.url}/metrics`)).text();
  const read = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 'NaN');
  return {
    transactions: read('shelfsync_group_commit_batch_size_count'),
    deliveries: read('shelfsync_group_commit_batch_size_sum'),
  };
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
    const answers = await Promise.all(deliveries.map((body) => deliver(t.url, body)));

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

    // The deliveries did share transactions: fewer transactions than deliveries.
    const after = await batchFigures(t);
    expect(after.deliveries - before.deliveries).toBe(60);
    expect(after.transactions - before.transactions).toBeLessThan(60);
  });

  it('fails only the delivery that breaks a shared transaction; the others are applied', async () => {
    await seedStock(t.db, { A: 100 });
    await failInserts(t.db, { name: 'fail_poison', table: 'orders', when: `NEW.order_id = 'poison'`, message: 'poisoned order' });
    const before = await batchFigures(t);
    const bodies = Array.from({ length: 39 }, (_, i) => newOrderEvent({ id: `evt-${i}`, orderId: `o-${i}`, items: [{ sku: 'A', quantity: 1 }] }));
    bodies.splice(20, 0, newOrderEvent({ id: 'evt-poison', orderId: 'poison', items: [{ sku: 'A', quantity: 1 }] }));
    const answers = await Promise.all(bodies.map((body) => deliver(t.url, body)));

    expect(tally(answers)).toEqual({ processed: 39, 500: 1 });
    expect(answers[20].status).toBe(500);
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 100, reserved: 39 });
    expect(await ledgerMismatches(t.db)).toEqual([]);
    const [poison] = await t.db.query(`SELECT status, last_error FROM webhook_events WHERE event_id = 'evt-poison'`);
    expect(poison.status).toBe('failed');
    expect(poison.last_error).toMatch(/poisoned order/);
    expect(await count(t.db, 'orders', `order_id = 'poison'`)).toBe(0);
    const after = await batchFigures(t);
    expect(after.transactions - before.transactions).toBeLessThan(40);
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

describe('the hot-path functions, called directly with a known arrival order', () => {
  const t = useTestApp();
  beforeEach(() => resetDatabase(t.db));

  /** Claims new_order deliveries on the default source in the order given; the record ids, null for duplicates. */
  async function claim(items: { id: string; body: string; orderId?: string }[]): Promise<(string | null)[]> {
    const [{ ids }]: { ids: (string | null)[] }[] = await t.db.query(
      `SELECT shelfsync_claim_events($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::bytea[], $7::boolean[]) AS ids`,
      [
        items.map(() => 'default'),
        items.map((i) => i.id),
        items.map(() => 'new_order'),
        items.map((i) => i.orderId ?? null),
        items.map(() => '{}'),
        items.map((i) => Buffer.from(i.body)),
        items.map(() => false),
      ],
    );
    return ids;
  }

  async function createOrders(orders: { orderId: string; sku: string; quantity: number; eventId: string }[]) {
    const [{ results }]: { results: { created: boolean; status: string; waiting: boolean }[] }[] = await t.db.query(
      `SELECT shelfsync_create_orders($1::text[], $2::text[], $3::text[], $4::numeric[], $5::text[], $6::text[], $7::bigint[],
                                      $8::int[], $9::text[], $10::int[], $11::numeric[]) AS results`,
      [
        orders.map((o) => o.orderId),
        orders.map(() => 'Customer'),
        orders.map(() => null),
        orders.map(() => 10),
        orders.map(() => 'USD'),
        orders.map(() => 'default'),
        orders.map((o) => o.eventId),
        orders.map((_, i) => i + 1),
        orders.map((o) => o.sku),
        orders.map((o) => o.quantity),
        orders.map(() => null),
      ],
    );
    return results;
  }

  it('claims a capture resent under another id as a duplicate, and the genuine event under that id after it', async () => {
    const ids = await claim([
      { id: 'b', body: 'X' },
      { id: 'a2', body: 'X' },
      { id: 'a2', body: 'Y' },
    ]);
    expect([ids[0] !== null, ids[1], ids[2] !== null]).toEqual([true, null, true]);
    const rows = await t.db.query(`SELECT event_id, convert_from(raw_body, 'UTF8') AS body FROM webhook_events ORDER BY id`);
    expect(rows).toEqual([
      { event_id: 'b', body: 'X' },
      { event_id: 'a2', body: 'Y' },
    ]);
  });

  it('takes up a failed delivery again once, however many copies of it a batch holds', async () => {
    const [id] = await claim([{ id: 'f', body: 'F' }]);
    await t.db.query(`UPDATE webhook_events SET status = 'failed' WHERE id = $1`, [id]);
    expect(await claim([{ id: 'f', body: 'F' }, { id: 'f', body: 'F' }])).toEqual([id, null]);
    const [row] = await t.db.query(`SELECT status, attempts FROM webhook_events WHERE id = $1`, [id]);
    expect(row).toEqual({ status: 'processed', attempts: 2 });
    expect(await claim([{ id: 'f', body: 'F' }])).toEqual([null]);
  });

  it('shares out the last units in arrival order, each order all or nothing', async () => {
    await seedStock(t.db, { A: 2 });
    const events = await claim(['o1', 'o2', 'o3', 'o4'].map((o) => ({ id: `e-${o}`, body: o, orderId: o })));
    const results = await createOrders([
      { orderId: 'o1', sku: 'A', quantity: 1, eventId: events[0]! },
      { orderId: 'o2', sku: 'A', quantity: 2, eventId: events[1]! },
      { orderId: 'o3', sku: 'A', quantity: 1, eventId: events[2]! },
      { orderId: 'o4', sku: 'A', quantity: 1, eventId: events[3]! },
    ]);
    expect(results.map((r) => r.status)).toEqual(['pending', 'rejected', 'pending', 'rejected']);
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 2, reserved: 2 });
    expect(await ledgerMismatches(t.db)).toEqual([]);
  });

  it('refuses to apply several orders together when events wait for one of them, so the batch goes one by one', async () => {
    await seedStock(t.db, { A: 1 });
    const events = await claim(['o1', 'o2'].map((o) => ({ id: `e-${o}`, body: o, orderId: o })));
    await t.db.query(
      `INSERT INTO webhook_events (source, event_id, event_type, order_id, status, reason, headers, raw_body)
       VALUES ('default', 'cancel-o1', 'order_cancelled', 'o1', 'deferred', 'order_not_found', '{}', 'c')`,
    );
    const both = [
      { orderId: 'o1', sku: 'A', quantity: 1, eventId: events[0]! },
      { orderId: 'o2', sku: 'A', quantity: 1, eventId: events[1]! },
    ];
    await expect(createOrders(both)).rejects.toMatchObject({ driverError: { code: 'SS001' } });
    expect(await count(t.db, 'orders')).toBe(0);
    const [alone] = await createOrders(both.slice(0, 1));
    expect(alone).toEqual({ created: true, status: 'pending', waiting: true });
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
    const ingest = t.app.get(WebhookIngestService);
    const handler = t.app.get(NewOrderHandler);
    const pending = ['first', 'poison', 'second'].map((orderId) => {
      const body = newOrderEvent({ id: `evt-${orderId}`, orderId, items: [{ sku: 'A', quantity: 1 }] });
      const event = { source: 'default', eventId: `evt-${orderId}`, idIsSigned: false, eventType: 'new_order', orderId, headers: {}, rawBody: Buffer.from(body) };
      return { event, command: handler.parse((JSON.parse(body) as { data: unknown }).data) };
    });
    const results = await ingest['ingestBatch'](pending);

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
