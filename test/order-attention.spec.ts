import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { DataSource, MigrationExecutor } from 'typeorm';
import { OrderAttention1764800000000 } from '../migrations/1764800000000-order-attention.js';
import { migrations } from '../migrations/index.js';
import { dataSourceOptions } from '../src/database/data-source-options.js';
import { OrdersRepository } from '../src/orders/orders.repository.js';
import { resetDatabase, seedStock } from './support/database.js';
import { newSecret, NotificationReceiver } from './support/notification-receiver.js';
import { pageThrough } from './support/paging.js';
import { scratchDatabaseUrl } from './support/scratch-database.js';
import { useServiceLogs } from './support/service-logs.js';
import { admin, type Answer, consoleSession, deliver, newOrderEvent, startTestApp, useTestApp } from './support/test-app.js';

interface AttentionItem {
  reason: string;
  webhook_event_id: string | null;
  raised_at: string;
  resolved_at: string | null;
  note: string | null;
}

/**
 * Orders whose flag disagrees with their items: needs_attention must be true
 * exactly while the order has an open one.
 */
async function flagDisagreements(db: DataSource): Promise<unknown[]> {
  return db.query(`
    SELECT o.order_id, o.needs_attention FROM orders o
     WHERE o.needs_attention <> EXISTS (SELECT FROM order_attention a WHERE a.order_id = o.order_id AND a.resolved_at IS NULL)`);
}

// This file's scratch database is new: this block migrates it as an older shelfsync left it, with a
// flagged order in it, before the blocks below start the service on it.
describe('the migration that makes attention data', () => {
  it('gives each order flagged before it one open item (reason unrecorded, raised at its last change), which an operator can resolve', async () => {
    const before = new DataSource({
      ...dataSourceOptions(scratchDatabaseUrl(), { poolSize: 1, connectTimeoutMs: 10_000 }),
      migrations: migrations.slice(0, migrations.indexOf(OrderAttention1764800000000)),
    });
    await before.initialize();
    try {
      const runner = before.createQueryRunner();
      try {
        await new MigrationExecutor(before, runner).executePendingMigrations();
      } finally {
        await runner.release();
      }
      await before.query(
        `INSERT INTO orders (order_id, status, customer_name, total_amount, currency, source, needs_attention, updated_at)
         VALUES ('old-flagged', 'cancelled', 'Ada', 10, 'EUR', 'default', true, '2026-11-30T10:00:00Z'),
                ('old-clear', 'pending', 'Bob', 10, 'EUR', 'default', false, '2026-11-30T11:00:00Z')`,
      );
    } finally {
      await before.destroy();
    }

    const t = await startTestApp();
    try {
      const flagged = await admin(t.url, 'GET', '/orders/old-flagged');
      expect(flagged.body).toMatchObject({
        needs_attention: true,
        attention: [{ reason: 'unrecorded', webhook_event_id: null, raised_at: '2026-11-30T10:00:00.000Z', resolved_at: null, note: null }],
      });
      expect((await admin(t.url, 'GET', '/orders/old-clear')).body).toMatchObject({ needs_attention: false, attention: [] });
      expect(await flagDisagreements(t.db)).toEqual([]);
      const resolved = await admin(t.url, 'POST', '/orders/old-flagged/attention/resolve', { note: 'looked at after the upgrade' });
      expect(resolved.status).toBe(200);
      expect(resolved.body).toMatchObject({ needs_attention: false, attention: [{ reason: 'unrecorded', note: 'looked at after the upgrade' }] });
    } finally {
      await t.close();
    }
  });
});

const receiver = new NotificationReceiver();
beforeAll(() => receiver.start());
afterAll(() => receiver.close());

let sequence = 0;
/** A lifecycle event of the orders envelope, with a fresh event id (returned beside it). */
function lifecycle(event: string, orderId: string): { id: string; body: string } {
  sequence += 1;
  const id = `evt-${event}-${orderId}-${sequence}`;
  return { id, body: JSON.stringify({ id, event, data: { order_id: orderId } }) };
}

describe('attention items', () => {
  const t = useTestApp({ NOTIFY_ALLOW_PRIVATE_NETWORKS: 'true', NOTIFY_TIMEOUT: '500ms' });
  useServiceLogs();

  beforeEach(async () => {
    // Row by row (messages go with their endpoint): a TRUNCATE's exclusive locks could deadlock with the running sender.
    await t.db.query(`DELETE FROM notification_endpoints`);
    await resetDatabase(t.db);
    await seedStock(t.db, { A: 3 });
    const secret = newSecret();
    receiver.secrets = [secret];
    await t.db.query(`INSERT INTO notification_endpoints (url, events, secret) VALUES ($1, $2, $3)`, [receiver.url, ['order.needs_attention'], secret]);
  });
  afterEach(async () => {
    expect(await flagDisagreements(t.db)).toEqual([]);
  });

  /** The webhook_events id of the delivery sent with this event id. */
  const recordOf = async (eventId: string): Promise<string> =>
    (await t.db.query<{ id: string }[]>(`SELECT id::text AS id FROM webhook_events WHERE event_id = $1`, [eventId]))[0].id;
  const send = async (event: string, orderId: string): Promise<{ answer: Answer; record: string }> => {
    const { id, body } = lifecycle(event, orderId);
    const answer = await deliver(t.url, body);
    return { answer, record: await recordOf(id) };
  };
  /** An order rejected for lack of stock: any payment for it raises payment_for_rejected_order. */
  const rejectedOrder = (orderId: string) => deliver(t.url, newOrderEvent({ id: `new-${orderId}`, orderId, items: [{ sku: 'A', quantity: 99 }] }));
  const view = async (orderId: string) => (await admin(t.url, 'GET', `/orders/${orderId}`)).body as { needs_attention: boolean; attention: AttentionItem[] };
  const resolve = (orderId: string, body: unknown) => admin(t.url, 'POST', `/orders/${encodeURIComponent(orderId)}/attention/resolve`, body);
  /** The order.needs_attention messages written to the outbox for the order, oldest first. */
  const attentionMessages = async (orderId: string): Promise<unknown[]> => {
    const rows: { body: string }[] = await t.db.query(`SELECT body FROM notifications WHERE event_type = 'order.needs_attention' ORDER BY id`);
    return rows.map((row) => (JSON.parse(row.body) as { data: { order_id: string } }).data).filter((data) => data.order_id === orderId);
  };

  it('a payment for a rejected order raises an open item naming the delivery, flags the order and tells the storefront', async () => {
    await rejectedOrder('r');
    const paid = await send('payment_succeeded', 'r');
    expect(paid.answer.body).toMatchObject({ status: 'ignored', reason: 'payment_for_rejected_order' });
    const order = await view('r');
    expect(order).toMatchObject({ status: 'rejected', needs_attention: true });
    expect(order.attention).toEqual([
      { reason: 'payment_for_rejected_order', webhook_event_id: paid.record, raised_at: expect.any(String), resolved_at: null, note: null },
    ]);
    expect(await attentionMessages('r')).toEqual([{ source: 'default', order_id: 'r', reason: 'payment_for_rejected_order' }]);
  });

  it('each delivery that raises adds its own item; only the first, which flags the order, is told', async () => {
    await deliver(t.url, newOrderEvent({ id: 'new-c', orderId: 'c', items: [{ sku: 'A', quantity: 1 }] }));
    await send('order_cancelled', 'c');
    const first = await send('payment_succeeded', 'c');
    const second = await send('payment_succeeded', 'c');
    expect((await view('c')).attention.map((a) => [a.reason, a.webhook_event_id, a.resolved_at])).toEqual([
      ['payment_for_cancelled_order', first.record, null],
      ['payment_for_cancelled_order', second.record, null],
    ]);
    expect(await attentionMessages('c')).toEqual([{ source: 'default', order_id: 'c', reason: 'payment_for_cancelled_order' }]);
  });

  it('a replay of the delivery that raised an item raises nothing more, open or resolved', async () => {
    await rejectedOrder('r');
    const paid = await send('payment_succeeded', 'r');
    const replay = await admin(t.url, 'POST', `/webhook-events/${paid.record}/replay`);
    expect(replay.body).toMatchObject({ status: 'ignored', reason: 'payment_for_rejected_order' });
    expect((await view('r')).attention).toHaveLength(1);
    expect(await attentionMessages('r')).toHaveLength(1);

    expect((await resolve('r', { note: 'refunded' })).status).toBe(200);
    expect((await admin(t.url, 'POST', `/webhook-events/${paid.record}/replay`)).body).toMatchObject({ status: 'ignored' });
    const order = await view('r');
    expect(order.needs_attention).toBe(false);
    expect(order.attention.map((a) => [a.webhook_event_id, a.note])).toEqual([[paid.record, 'refunded']]);
    expect(await attentionMessages('r')).toHaveLength(1);
  });

  describe('POST /orders/:order_id/attention/resolve', () => {
    it('resolves every open item with the note, keeps them, and clears the flag; a second resolve is 409', async () => {
      await rejectedOrder('r');
      const first = await send('payment_succeeded', 'r');
      const second = await send('payment_succeeded', 'r');
      const res = await resolve('r', { note: 'refunded both payments in the gateway' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ order_id: 'r', status: 'rejected', needs_attention: false });
      const items = res.body.attention as AttentionItem[];
      expect(items).toEqual(
        [first, second].map((cause) => ({
          reason: 'payment_for_rejected_order',
          webhook_event_id: cause.record,
          raised_at: expect.any(String),
          resolved_at: expect.any(String),
          note: 'refunded both payments in the gateway',
        })),
      );
      for (const item of items) expect(Date.parse(item.resolved_at!)).toBeGreaterThanOrEqual(Date.parse(item.raised_at));
      expect(await view('r')).toEqual(res.body);

      const again = await resolve('r', { note: 'once more' });
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ error: 'no_open_attention' });
      expect((await view('r')).attention.map((a) => a.note)).toEqual(['refunded both payments in the gateway', 'refunded both payments in the gateway']);
    });

    it('is 409 for an order never flagged, 404 for an unknown order, 400 for an order id a database cannot hold, 401 without the token', async () => {
      await deliver(t.url, newOrderEvent({ id: 'new-fine', orderId: 'fine', items: [{ sku: 'A', quantity: 1 }] }));
      expect(await resolve('fine', { note: 'nothing to see' })).toMatchObject({ status: 409, body: { error: 'no_open_attention' } });
      const unknown = await resolve('nope', { note: 'x' });
      expect(unknown).toMatchObject({ status: 404, body: { error: 'not_found' } });
      expect(unknown.body.message).toContain('nope');
      const bad = await admin(t.url, 'POST', '/orders/a%00b/attention/resolve', { note: 'x' });
      expect(bad.status).toBe(400);
      expect((bad.body.errors as { field: string }[])[0].field).toBe('order_id');
      expect((await admin(t.url, 'POST', '/orders/fine/attention/resolve', { note: 'x' }, null)).status).toBe(401);
      expect(await t.db.query(`SELECT count(*)::int AS n FROM order_attention`)).toEqual([{ n: 0 }]);
    });

    it.each<[string, unknown, string]>([
      ['no note', {}, 'note'],
      ['an empty note', { note: '' }, 'note'],
      ['a blank note', { note: '  \u00a0 ' }, 'note'],
      ['a note of 1001 characters', { note: 'x'.repeat(1001) }, 'note'],
      ['a note with a control character', { note: 'refunded\u0000' }, 'note'],
      ['a note with a lone surrogate', { note: 'refunded \ud800' }, 'note'],
      ['a number', { note: 42 }, 'note'],
      ['an unknown field', { note: 'refunded', by: 'me' }, 'by'],
    ])('answers 400 naming the field for %s, and resolves nothing', async (_what, body, field) => {
      await rejectedOrder('r');
      await send('payment_succeeded', 'r');
      const res = await resolve('r', body);
      expect(res.status).toBe(400);
      expect((res.body.errors as { field: string }[]).map((e) => e.field)).toContain(field);
      expect(await view('r')).toMatchObject({ needs_attention: true, attention: [{ resolved_at: null, note: null }] });
    });

    it('takes a note of 1000 characters as given', async () => {
      await rejectedOrder('r');
      await send('payment_succeeded', 'r');
      const note = `refunded ${'é'.repeat(991)}`;
      expect((await resolve('r', { note })).status).toBe(200);
      expect((await view('r')).attention[0].note).toBe(note);
    });

    it('of two resolves at once, one resolves (200) and the other finds nothing open (409)', async () => {
      await rejectedOrder('r');
      await send('payment_succeeded', 'r');
      const answers = await Promise.all([resolve('r', { note: 'first' }), resolve('r', { note: 'second' })]);
      expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
      const winner = answers.find((a) => a.status === 200)!;
      expect((await view('r')).attention).toEqual(winner.body.attention);
      expect((winner.body.attention as AttentionItem[]).map((a) => a.note)).toEqual([expect.stringMatching(/^(first|second)$/)]);
    });

    it('waits for a delivery raising an item on the order, and resolves that item too', async () => {
      await rejectedOrder('r');
      const first = await send('payment_succeeded', 'r');
      // A transaction raising an item as a delivery does (under the order's lock), left open while the resolve arrives.
      const raising = t.db.createQueryRunner();
      await raising.startTransaction();
      try {
        await raising.query(`SELECT shelfsync_lock_orders(ARRAY['r'])`);
        await t.app.get(OrdersRepository).flagNeedsAttention(raising.manager, { source: 'default', orderId: 'r' }, 'raised_meanwhile', null);
        const resolving = resolve('r', { note: 'refunded' });
        await waitForLockWaiters(t.db, 1);
        await raising.commitTransaction();
        const res = await resolving;
        expect(res.status).toBe(200);
        expect((res.body.attention as AttentionItem[]).map((a) => [a.reason, a.webhook_event_id, a.note])).toEqual([
          ['payment_for_rejected_order', first.record, 'refunded'],
          ['raised_meanwhile', null, 'refunded'],
        ]);
        expect((await view('r')).needs_attention).toBe(false);
      } finally {
        if (raising.isTransactionActive) await raising.rollbackTransaction();
        await raising.release();
      }
    });

    it('a flag raised again after resolving opens a new item and tells the storefront again', async () => {
      await rejectedOrder('r');
      const first = await send('payment_succeeded', 'r');
      await resolve('r', { note: 'refunded' });
      const later = await send('payment_succeeded', 'r');
      const order = await view('r');
      expect(order.needs_attention).toBe(true);
      expect(order.attention.map((a) => [a.webhook_event_id, a.resolved_at === null, a.note])).toEqual([
        [first.record, false, 'refunded'],
        [later.record, true, null],
      ]);
      expect(await attentionMessages('r')).toEqual([
        { source: 'default', order_id: 'r', reason: 'payment_for_rejected_order' },
        { source: 'default', order_id: 'r', reason: 'payment_for_rejected_order' },
      ]);
    });
  });

  it('shows the items on the console\'s order page, open and resolved', async () => {
    await rejectedOrder('r');
    const paid = await send('payment_succeeded', 'r');
    const cookie = await consoleSession(t.url);
    const page = async () => (await fetch(`${t.url}/console/orders/r`, { headers: { cookie } })).text();
    const open = await page();
    expect(open).toMatch(/<li data-open="true"><strong>payment_for_rejected_order<\/strong>/);
    expect(open).toContain(`<a href="/console/deliveries/${paid.record}">delivery ${paid.record}</a>`);
    await resolve('r', { note: 'refunded <by card>' });
    const resolved = await page();
    expect(resolved).toMatch(/<li data-open="false"><strong>payment_for_rejected_order<\/strong>/);
    expect(resolved).toContain('refunded &lt;by card&gt;');
  });
});

describe('GET /orders?needs_attention=', () => {
  const t = useTestApp();
  const N = 23;
  // order-g: cancelled when g is a multiple of 3, else pending; flagged (with an open item) when g is even.
  const numbers = Array.from({ length: N }, (_, i) => N - i);
  const flagged = (g: number) => g % 2 === 0;
  const cancelled = (g: number) => g % 3 === 0;
  beforeAll(async () => {
    await resetDatabase(t.db);
    await t.db.query(
      `INSERT INTO orders (order_id, status, customer_name, total_amount, currency, source, needs_attention)
       SELECT 'order-' || g, CASE WHEN g % 3 = 0 THEN 'cancelled' ELSE 'pending' END::order_status, 'Ada', 1, 'EUR', 'default', g % 2 = 0
         FROM generate_series(1, $1) g ORDER BY g`,
      [N],
    );
    await t.db.query(`INSERT INTO order_attention (order_source, order_id, reason) SELECT source, order_id, 'seeded' FROM orders WHERE needs_attention`);
  });

  it.each<[string, (g: number) => boolean]>([
    ['needs_attention=true', flagged],
    ['needs_attention=false', (g) => !flagged(g)],
    ['needs_attention=true&status=cancelled', (g) => flagged(g) && cancelled(g)],
    ['status=pending&needs_attention=false', (g) => !flagged(g) && !cancelled(g)],
  ])('?%s reaches every matching order exactly once, newest first, 4 at a time', async (filter, matches) => {
    const { keys } = await pageThrough(async (cursor) => {
      const res = await admin(t.url, 'GET', `/orders?${filter}&limit=4${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      const items = res.body.items as { order_id: string; needs_attention: boolean }[];
      expect(items.length).toBeLessThanOrEqual(4);
      return { keys: items.map((item) => item.order_id), cursor: res.body.next_cursor as string | null };
    });
    expect(keys).toEqual(numbers.filter(matches).map((g) => `order-${g}`));
  });

  it.each([['yes'], ['TRUE'], ['1'], [''], ['true&needs_attention=false']])('answers 400 naming needs_attention for needs_attention=%s', async (value) => {
    const res = await admin(t.url, 'GET', `/orders?needs_attention=${value}`);
    expect(res.status).toBe(400);
    expect((res.body.errors as { field: string }[]).map((e) => e.field)).toEqual(['needs_attention']);
  });
});

/** Resolves once `n` of the service's transactions wait for a lock (the order's, or a row behind it). */
async function waitForLockWaiters(db: DataSource, n: number): Promise<void> {
  for (const until = Date.now() + 4_000; ; ) {
    const [{ waiting }] = await db.query<{ waiting: number }[]>(
      `SELECT count(*)::int AS waiting FROM pg_stat_activity
        WHERE datname = current_database() AND application_name = 'shelfsync' AND wait_event_type = 'Lock'`,
    );
    if (waiting >= n) return;
    if (Date.now() > until) throw new Error(`${waiting} of ${n} transactions came to wait for the lock`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
