import { beforeEach, describe, expect, it } from '@jest/globals';
import { BatchQueue } from '../src/common/batch-queue.js';
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
    const answered = new Map(answers.filter((a) => a.body.status === 'processed').map((a) => [a.body.event_id, a.body.order_status]));
    const stored = await t.db.query(`SELECT 'evt-' || substr(order_id, 3) AS event_id, status FROM orders`);
    for (const row of stored) expect(answered.get(row.event_id)).toBe(row.status);

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

  it('applies the events waiting for orders that a shared transaction creates', async () => {
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

describe('BatchQueue', () => {
  it('runs at most maxInFlight batches of at most maxBatch items, and answers each item with its own result', async () => {
    const batches: number[][] = [];
    let inFlight = 0;
    let mostInFlight = 0;
    const queue = new BatchQueue<number, number>(
      async (items) => {
        batches.push(items);
        mostInFlight = Math.max(mostInFlight, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 20));
        inFlight--;
        return items.map((n) => (n % 7 === 0 ? { status: 'rejected', reason: new Error(`no ${n}`) } : { status: 'fulfilled', value: n * 2 }));
      },
      { maxBatch: 5, maxInFlight: 2, maxWaitMs: 10_000, timeoutError: () => new Error('waited too long') },
    );
    const results = await Promise.allSettled(Array.from({ length: 23 }, (_, n) => queue.push(n)));

    results.forEach((result, n) => {
      if (n % 7 === 0) expect(result).toEqual({ status: 'rejected', reason: new Error(`no ${n}`) });
      else expect(result).toEqual({ status: 'fulfilled', value: n * 2 });
    });
    expect(mostInFlight).toBe(2);
    expect(Math.max(...batches.map((b) => b.length))).toBe(5);
    // every item went exactly once, in arrival order
    expect(batches.flat()).toEqual(Array.from({ length: 23 }, (_, n) => n));
  });

  it('rejects every item of a batch whose processing throws, and goes on with the next', async () => {
    let calls = 0;
    const queue = new BatchQueue<string, string>(
      (items) => {
        calls++;
        if (calls === 1) return Promise.reject(new Error('database away'));
        return Promise.resolve(items.map((item) => ({ status: 'fulfilled' as const, value: item.toUpperCase() })));
      },
      { maxBatch: 10, maxInFlight: 1, maxWaitMs: 10_000, timeoutError: () => new Error('waited too long') },
    );
    const first = await Promise.allSettled([queue.push('a'), queue.push('b')]);
    expect(first).toEqual([
      { status: 'rejected', reason: new Error('database away') },
      { status: 'rejected', reason: new Error('database away') },
    ]);
    await expect(queue.push('c')).resolves.toBe('C');
  });

  it('rejects an item that cannot start within maxWaitMs, and never runs it', async () => {
    const ran: string[] = [];
    let release: () => void = () => undefined;
    const queue = new BatchQueue<string, string>(
      async (items) => {
        ran.push(...items);
        if (items.includes('slow')) await new Promise<void>((resolve) => (release = resolve));
        return items.map((item) => ({ status: 'fulfilled' as const, value: item }));
      },
      { maxBatch: 10, maxInFlight: 1, maxWaitMs: 50, timeoutError: () => new Error('waited too long') },
    );
    const slow = queue.push('slow');
    await new Promise((resolve) => setTimeout(resolve, 10));
    await expect(queue.push('late')).rejects.toThrow('waited too long');
    release();
    await expect(slow).resolves.toBe('slow');
    await expect(queue.push('after')).resolves.toBe('after');
    expect(ran).toEqual(['slow', 'after']);
  });
});
