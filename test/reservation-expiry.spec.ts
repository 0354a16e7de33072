import { beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { AppConfig } from '../src/config/app-config.js';
import { TransactionRunner } from '../src/database/transaction-runner.js';
import { MetricsService } from '../src/metrics/metrics.service.js';
import { OrdersService } from '../src/orders/orders.service.js';
import { ReservationSweeper } from '../src/orders/reservation-sweeper.js';
import { count, ledgerMismatches, resetDatabase, seedStock, stockOf } from './support/database.js';
import { metricsPage, sampleOf, transactionRetries } from './support/metrics.js';
import { reconcile } from './support/cli.js';
import { scratchDatabaseUrl } from './support/scratch-database.js';
import { spawnService } from './support/service-process.js';
import { useServiceLogs } from './support/service-logs.js';
import { admin, deliver, newOrderEvent, type TestApp, useTestApp } from './support/test-app.js';



let sequence = 0;
function lifecycle(event: string, orderId: string, data: Record<string, unknown> = {}): string {
  sequence += 1;
  return JSON.stringify({ id: `evt-${event}-${orderId}-${sequence}`, event, data: { order_id: orderId, ...data } });
}

/** The helpers of one running service. */
function helpers(t: TestApp) {
  const order = async (orderId: string, items = [{ sku: 'A', quantity: 2 }, { sku: 'B', quantity: 1 }]) => {
    const res = await deliver(t.url, newOrderEvent({ id: `new-${orderId}`, orderId, items }));
    expect(res.body).toMatchObject({ status: 'processed', order_status: 'pending' });
  };
  const send = (event: string, orderId: string, data?: Record<string, unknown>) => deliver(t.url, lifecycle(event, orderId, data));
  /** Makes orders as old as `age` on the database's clock (the sweeper reads created_at against now()). */
  const age = (orderIds: string[], age: string) =>
    t.db.query(`UPDATE orders SET created_at = now() - $2::interval WHERE order_id = ANY($1)`, [orderIds, age]);
  const view = async (orderId: string) => (await admin(t.url, 'GET', `/orders/${orderId}`)).body;
  /**
   * A sweep now, by a sweeper of the tests' own (as another instance's would be) beside the
   * service's, which stopSweeper() stops where a test needs to know who expired what.
   */
  let own: ReservationSweeper | undefined;
  const sweeper = () =>
    (own ??= new ReservationSweeper(t.app.get(AppConfig), t.app.get(OrdersService), t.app.get(TransactionRunner), t.app.get(MetricsService)));
  const sweep = () => sweeper().sweep();
  const stopSweeper = () => t.app.get(ReservationSweeper).beforeApplicationShutdown();
  const expiredCounter = async () => sampleOf(await metricsPage(t.url), 'shelfsync_reservations_expired_total');
  return { order, send, age, view, sweeper, sweep, stopSweeper, expiredCounter };
}

describe('reservation expiry (RESERVATION_TTL=1m; sweeps run here, orders aged with SQL on the database clock)', () => {
  const t = useTestApp({ RESERVATION_TTL: '1m' });
  const logs = useServiceLogs();
  const { order, send, age, view, sweeper, sweep, stopSweeper, expiredCounter } = helpers(t);
  // The service's own sweeper would take some of the due orders at its next period: these tests count
  // what their sweeps did. (The race below runs two sweepers of its own.)
  beforeAll(() => stopSweeper());
  beforeEach(async () => {
    await resetDatabase(t.db);
    await seedStock(t.db, { A: 100, B: 100 });
  });

  it('cancels pending and payment_failed orders older than the TTL, releasing their units with ledger and history rows', async () => {
    await order('pending-old');
    await order('failed-old');
    expect((await send('payment_failed', 'failed-old', { reason: 'card declined' })).body).toMatchObject({ order_status: 'payment_failed' });
    await age(['pending-old', 'failed-old'], '61 seconds');
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 100, reserved: 4 });
    const counted = await expiredCounter();

    expect(await sweep()).toBe(2);

    for (const [id, from] of [['pending-old', 'pending'], ['failed-old', 'payment_failed']]) {
      const body = await view(id);
      expect(body).toMatchObject({ status: 'cancelled', status_reason: 'reservation_expired', needs_attention: false });
      expect((body.history as unknown[]).at(-1)).toMatchObject({ from_status: from, to_status: 'cancelled', reason: 'reservation_expired', webhook_event_id: null });
    }
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 100, reserved: 0 });
    expect(await stockOf(t.db, 'B')).toEqual({ on_hand: 100, reserved: 0 });
    const released = await t.db.query(
      `SELECT order_id, sku, on_hand_delta, reserved_delta, webhook_event_id FROM stock_movements WHERE kind = 'release' ORDER BY order_id, sku`,
    );
    expect(released).toEqual([
      { order_id: 'failed-old', sku: 'A', on_hand_delta: 0, reserved_delta: -2, webhook_event_id: null },
      { order_id: 'failed-old', sku: 'B', on_hand_delta: 0, reserved_delta: -1, webhook_event_id: null },
      { order_id: 'pending-old', sku: 'A', on_hand_delta: 0, reserved_delta: -2, webhook_event_id: null },
      { order_id: 'pending-old', sku: 'B', on_hand_delta: 0, reserved_delta: -1, webhook_event_id: null },
    ]);
    expect(await ledgerMismatches(t.db)).toEqual([]);
    expect(await expiredCounter()).toBe(counted + 2);
    // Done once: a second sweep finds nothing, writes nothing.
    expect(await sweep()).toBe(0);
    expect(await count(t.db, 'stock_movements', `kind = 'release'`)).toBe(4);
    expect(await count(t.db, 'order_status_history', `reason = 'reservation_expired'`)).toBe(2);
  });

  it('keeps paid orders, orders younger than the TTL and orders that hold nothing', async () => {
    await order('paid-old');
    expect((await send('payment_succeeded', 'paid-old')).body).toMatchObject({ order_status: 'paid' });
    await order('fulfilled-old');
    await send('payment_succeeded', 'fulfilled-old');
    await send('order_fulfilled', 'fulfilled-old');
    await order('young');
    await order('failed-young');
    await send('payment_failed', 'failed-young');
    const rejected = await deliver(t.url, newOrderEvent({ id: 'new-short', orderId: 'short', items: [{ sku: 'A', quantity: 1000 }] }));
    expect(rejected.body).toMatchObject({ order_status: 'rejected' });
    await age(['paid-old', 'fulfilled-old', 'short'], '1 day');
    await age(['young', 'failed-young'], '50 seconds');

    expect(await sweep()).toBe(0);

    expect((await view('paid-old')).status).toBe('paid');
    expect((await view('fulfilled-old')).status).toBe('fulfilled');
    expect((await view('young')).status).toBe('pending');
    expect((await view('failed-young')).status).toBe('payment_failed');
    expect((await view('short')).status).toBe('rejected');
    // paid-old, young and failed-young still hold theirs (fulfilled-old's have shipped)
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 98, reserved: 6 });
    expect(await count(t.db, 'stock_movements', `kind = 'release'`)).toBe(0);

    // Eleven seconds later on the database clock, the young ones are due too.
    await age(['young', 'failed-young'], '61 seconds');
    expect(await sweep()).toBe(2);
    expect((await view('young')).status).toBe('cancelled');
    expect((await view('failed-young')).status).toBe('cancelled');
    expect((await view('paid-old')).status).toBe('paid');
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 98, reserved: 2 });
  });

  it('ignores a payment that arrives after expiry (200) and flags the order needs_attention; stock stays released', async () => {
    await order('late');
    await age(['late'], '2 minutes');
    expect(await sweep()).toBe(1);

    const res = await send('payment_succeeded', 'late', { amount: 10, payment_id: 'pay_late' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ignored', reason: 'payment_for_cancelled_order', order_status: 'cancelled' });
    expect(await view('late')).toMatchObject({ status: 'cancelled', status_reason: 'reservation_expired', needs_attention: true });
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 100, reserved: 0 });
    expect(await ledgerMismatches(t.db)).toEqual([]);
  });

  it('settles the deliveries that waited for an expired order, as a cancellation would', async () => {
    await order('waiting');
    const early = await send('order_fulfilled', 'waiting');
    expect(early.body).toMatchObject({ status: 'deferred', reason: 'awaiting_status: paid or partially_fulfilled' });
    await age(['waiting'], '2 minutes');

    expect(await sweep()).toBe(1);

    const [fulfilment] = await t.db.query<{ status: string; reason: string }[]>(
      `SELECT status, reason FROM webhook_events WHERE event_type = 'order_fulfilled'`,
    );
    expect(fulfilment).toEqual({ status: 'ignored', reason: 'transition_not_allowed: order_fulfilled on a cancelled order' });
    expect(await count(t.db, 'webhook_events', `status = 'deferred'`)).toBe(0);
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 100, reserved: 0 });
  });

  it('expires more orders than one batch holds, in one sweep, and npm run reconcile is clean afterwards', async () => {
    const ids = Array.from({ length: 120 }, (_, i) => `bulk-${i}`);
    for (const [i, id] of ids.entries()) await order(id, [{ sku: i % 2 ? 'A' : 'B', quantity: 1 }]);
    await age(ids, '10 minutes');
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 100, reserved: 60 });

    expect(await sweep()).toBe(120);

    expect(await count(t.db, 'orders', `status = 'cancelled' AND status_reason = 'reservation_expired'`)).toBe(120);
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 100, reserved: 0 });
    expect(await stockOf(t.db, 'B')).toEqual({ on_hand: 100, reserved: 0 });
    expect(await ledgerMismatches(t.db)).toEqual([]);
    expect(await reconcile()).toEqual({ code: 0, stdout: 'ledger matches the counters of all 2 SKUs and 120 order lines\n' });
  });

  it('leaves an order whose stock no longer matches as it is, and expires the rest of its batch', async () => {
    await seedStock(t.db, { C: 10 });
    await order('broken', [{ sku: 'C', quantity: 3 }]);
    await order('fine');
    await age(['broken', 'fine'], '5 minutes');
    // Someone took C's reservations away behind the service's back: releasing 3 would leave reserved below 0.
    await t.db.query(`UPDATE stock SET reserved = 1 WHERE sku = 'C'`);

    expect(await sweep()).toBe(1);
    expect(await logs.errors()).toEqual([
      expect.objectContaining({ context: 'ReservationExpiry', msg: 'order default/broken could not expire: release of order default/broken refused for SKU "C" (reserved_below_zero): its stock no longer matches' }),
    ]);

    expect(await view('fine')).toMatchObject({ status: 'cancelled', status_reason: 'reservation_expired' });
    expect(await view('broken')).toMatchObject({ status: 'pending', status_reason: null });
    expect(await count(t.db, 'order_status_history', `order_id = 'broken' AND to_status = 'cancelled'`)).toBe(0);
    expect(await stockOf(t.db, 'C')).toEqual({ on_hand: 10, reserved: 1 });
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 100, reserved: 0 });
  });

  it('a payment racing the sweepers: each order ends paid and kept, or expired with the payment ignored and flagged; never both, no deadlock', async () => {
    const ids = Array.from({ length: 60 }, (_, i) => `race-${i}`);
    for (const [i, id] of ids.entries()) await order(id, [{ sku: i % 2 ? 'A' : 'B', quantity: 1 }, { sku: i % 3 ? 'B' : 'A', quantity: 1 }]);
    // Due 150 ms from now on the database clock; the payments go out over the next 300 ms, while two
    // sweepers (two instances') sweep again and again: the early payments come before the TTL, the late
    // ones after, and those around it race the sweepers for the order's lock.
    await age(ids, '59.85 seconds');
    const deadlocksBefore = await transactionRetries(t.url, '40P01');
    const until = Date.now() + 700;
    const sweepUntil = async (sweeper: ReservationSweeper) => {
      let swept = 0;
      while (Date.now() < until) swept += await sweeper.sweep();
      return swept;
    };
    const second = new ReservationSweeper(t.app.get(AppConfig), t.app.get(OrdersService), t.app.get(TransactionRunner), t.app.get(MetricsService));
    const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const [payments, sweptA, sweptB] = await Promise.all([
      Promise.all(
        ids.map(async (id, i) => {
          await pause(i * 5);
          return send('payment_succeeded', id);
        }),
      ),
      sweepUntil(sweeper()),
      sweepUntil(second),
    ]);

    expect(payments.map((p) => p.status)).toEqual(ids.map(() => 200));
    const outcomes = new Map<string, string>();
    for (const [i, id] of ids.entries()) {
      const body = await view(id);
      const answer = payments[i].body;
      if (body.status === 'paid') {
        expect(answer).toMatchObject({ status: 'processed', order_status: 'paid' });
        expect(body.needs_attention).toBe(false);
      } else {
        expect(body).toMatchObject({ status: 'cancelled', status_reason: 'reservation_expired', needs_attention: true });
        expect(answer).toMatchObject({ status: 'ignored', reason: 'payment_for_cancelled_order' });
      }
      outcomes.set(id, body.status as string);
      expect(await count(t.db, 'order_status_history', `order_id = $1 AND to_status IN ('paid', 'cancelled')`, [id])).toBe(1);
    }
    const expired = [...outcomes.values()].filter((s) => s === 'cancelled').length;
    expect(sweptA + sweptB).toBe(expired);
    // both ways happened
    expect(expired).toBeGreaterThan(0);
    expect(expired).toBeLessThan(ids.length);
    // What the paid orders hold is reserved; nothing of the expired ones is.
    const held = await t.db.query<{ sku: string; units: number }[]>(
      `SELECT l.sku, sum(l.quantity)::int AS units FROM order_lines l JOIN orders o USING (order_id) WHERE o.status = 'paid' GROUP BY l.sku ORDER BY l.sku`,
    );
    const reserved = Object.fromEntries(held.map((h) => [h.sku, h.units]));
    expect((await stockOf(t.db, 'A'))?.reserved).toBe(reserved.A ?? 0);
    expect((await stockOf(t.db, 'B'))?.reserved).toBe(reserved.B ?? 0);
    // one release row per line with a SKU of each expired order
    const [{ n: releases }] = await t.db.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM order_lines l JOIN orders o USING (order_id) WHERE o.status = 'cancelled' AND l.sku IS NOT NULL`,
    );
    expect(await count(t.db, 'stock_movements', `kind = 'release'`)).toBe(releases);
    expect(await ledgerMismatches(t.db)).toEqual([]);
    expect(await transactionRetries(t.url, '40P01')).toBe(deadlocksBefore);
  });
});

describe('reservation expiry on its own (RESERVATION_TTL=1s: the sweeper started at bootstrap)', () => {
  const t = useTestApp({ RESERVATION_TTL: '1s' });
  const { order, send, view } = helpers(t);
  beforeEach(async () => {
    await resetDatabase(t.db);
    await seedStock(t.db, { A: 10, B: 10 });
  });

  it('cancels an unpaid order a second or so after its creation, and keeps a paid one', async () => {
    await order('left');
    await order('failed');
    await send('payment_failed', 'failed');
    await order('bought');
    await send('payment_succeeded', 'bought');
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline && (await count(t.db, 'orders', `status = 'cancelled'`)) < 2) await new Promise((r) => setTimeout(r, 100));

    expect(await view('left')).toMatchObject({ status: 'cancelled', status_reason: 'reservation_expired' });
    expect(await view('failed')).toMatchObject({ status: 'cancelled', status_reason: 'reservation_expired' });
    expect((await view('bought')).status).toBe('paid');
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 10, reserved: 2 });
    expect(await ledgerMismatches(t.db)).toEqual([]);
    expect(await reconcile()).toEqual({ code: 0, stdout: 'ledger matches the counters of all 2 SKUs and 6 order lines\n' });
  });
});

describe('RESERVATION_TTL=0 (the default)', () => {
  const t = useTestApp({ RESERVATION_TTL: '0' });
  const { order, age, view, sweep } = helpers(t);
  beforeEach(async () => {
    await resetDatabase(t.db);
    await seedStock(t.db, { A: 10, B: 10 });
  });

  it('expires nothing, however old', async () => {
    await order('ancient');
    await age(['ancient'], '365 days');
    expect(await sweep()).toBe(0);
    await new Promise((r) => setTimeout(r, 600));
    expect(await view('ancient')).toMatchObject({ status: 'pending' });
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 10, reserved: 2 });
  });
});

describe('the sweeper of a running service (node dist/src/main.js, RESERVATION_TTL=1s)', () => {
  it('on SIGTERM finishes the batch in flight before the pool closes, logs its count, and exits 0', async () => {
    const direct = new pg.Client({ connectionString: scratchDatabaseUrl() });
    await direct.connect();
    try {
      // Hold the SKU: the sweep that expires the order is caught half-way when the signal comes.
      const holder = new pg.Client({ connectionString: scratchDatabaseUrl() });
      await holder.connect();
      const service = await spawnService({ WEBHOOK_SECRET: 's', DATABASE_URL: scratchDatabaseUrl(), RESERVATION_TTL: '1s', LOG_FORMAT: 'json' });
      try {
        await direct.query(`TRUNCATE stock_movements, order_status_history, order_lines, orders, webhook_events, stock RESTART IDENTITY CASCADE`);
        await direct.query(`INSERT INTO stock (sku, on_hand) VALUES ('G', 5)`);
        await direct.query(`INSERT INTO stock_movements (sku, kind, on_hand_delta, reserved_delta) VALUES ('G', 'adjust', 5, 0)`);
        const created = await deliver(service.url, newOrderEvent({ id: 'g1', orderId: 'g1', items: [{ sku: 'G', quantity: 2 }] }), { secret: 's' });
        expect(created.body).toMatchObject({ order_status: 'pending' });
        await holder.query('BEGIN');
        await holder.query(`SELECT * FROM stock WHERE sku = 'G' FOR UPDATE`);
        const waiting = `SELECT count(*)::int AS n FROM pg_stat_activity
                          WHERE datname = current_database() AND application_name = 'shelfsync' AND wait_event_type = 'Lock'`;
        const deadline = Date.now() + 10_000;
        while ((await direct.query(waiting)).rows[0].n === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));

        service.child.kill('SIGTERM');
        const signalled = Date.now() + 10_000;
        while (!service.output().includes('received SIGTERM') && Date.now() < signalled) await new Promise((r) => setTimeout(r, 50));
        await new Promise((r) => setTimeout(r, 300));
        await holder.query('COMMIT');

        expect(await service.exited).toEqual({ code: 0, signal: null });
        const order = await direct.query(`SELECT status, status_reason FROM orders WHERE order_id = 'g1'`);
        expect(order.rows[0]).toEqual({ status: 'cancelled', status_reason: 'reservation_expired' });
        expect((await direct.query(`SELECT reserved FROM stock WHERE sku = 'G'`)).rows[0].reserved).toBe(0);
        const lines = service
          .output()
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as { msg: string; context?: string; level: number });
        const signal = lines.findIndex((l) => l.msg === 'received SIGTERM: stopping');
        const batch = lines.findIndex((l) => l.context === 'ReservationExpiry' && l.msg.startsWith('expired 1 unpaid order(s)'));
        // one line for the batch, with its count, written after the signal: it was in flight then
        expect(signal).toBeGreaterThan(-1);
        expect(batch).toBeGreaterThan(signal);
        expect(lines.filter((l) => l.level >= 40 && l.context !== 'Config')).toEqual([]);
      } finally {
        service.child.kill('SIGKILL');
        await holder.end();
      }
    } finally {
      await direct.end();
    }
  });
});
