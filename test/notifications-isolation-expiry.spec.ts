import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { AppConfig } from '../src/config/app-config.js';
import { TransactionRunner } from '../src/database/transaction-runner.js';
import { MetricsService } from '../src/metrics/metrics.service.js';
import { MAX_IN_FLIGHT, MAX_IN_FLIGHT_PER_ENDPOINT } from '../src/notifications/outbox-sender.js';
import { OrdersService } from '../src/orders/orders.service.js';
import { ReservationSweeper } from '../src/orders/reservation-sweeper.js';
import { count, resetDatabase, seedStock, stockOf } from './support/database.js';
import { newSecret, NotificationReceiver } from './support/notification-receiver.js';
import { deliver, newOrderEvent, useTestApp } from './support/test-app.js';

async function addEndpoint(db: DataSource, url: string, secret: string, events: string[] | null = null): Promise<string> {
  const [{ id }] = await db.query<{ id: string }[]>(
    `INSERT INTO notification_endpoints (url, events, secret) VALUES ($1, $2, $3) RETURNING id::text AS id`,
    [url, events, secret],
  );
  return id;
}

async function resetAll(db: DataSource): Promise<void> {
  // Row by row (messages go with their endpoint): a TRUNCATE's exclusive locks could deadlock with the running sender.
  await db.query(`DELETE FROM notification_endpoints`);
  await resetDatabase(db);
}

async function settled(db: DataSource, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while ((await count(db, 'notifications', `status = 'pending'`)) > 0) {
    if (Date.now() > until) throw new Error('messages still pending');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const healthy = new NotificationReceiver();
const dead = new NotificationReceiver();
beforeAll(async () => {
  await healthy.start();
  await dead.start();
});
afterAll(async () => {
  await healthy.close();
  await dead.close();
});

describe('a slow or dead endpoint never holds the others (NOTIFY_TIMEOUT=5s)', () => {
  const t = useTestApp({ NOTIFY_RETRY_SCHEDULE: '1s,1s', NOTIFY_TIMEOUT: '5s', NOTIFY_ALLOW_PRIVATE_NETWORKS: 'true' });
  beforeEach(() => resetAll(t.db));

  it("delivers the healthy endpoint's messages promptly while the dead one's attempts hang, the dead one holding its cap only", async () => {
    const deadSecret = newSecret();
    const healthySecret = newSecret();
    dead.reset([deadSecret]);
    dead.reply = () => 'hang';
    healthy.reset([healthySecret]);
    const deadEndpoint = await addEndpoint(t.db, dead.url, deadSecret);
    // More queued to the dead endpoint, due before anything else, than the whole instance may have in flight,
    // and more than several claims' worth: its backlog must never hide the healthy endpoint's messages.
    const queued = MAX_IN_FLIGHT * 4;
    await t.db.query(
      `INSERT INTO notifications (endpoint_id, message_id, event_type, body, next_attempt_at)
       SELECT $1, 'msg_dead_' || i, 'order.status_changed',
              json_build_object('type', 'order.status_changed', 'timestamp', '2026-01-01T00:00:00.000000Z',
                                'data', json_build_object('order_id', 'queued-' || i))::text,
              now() - interval '1 minute' + i * interval '1 millisecond'
         FROM generate_series(1, $2::int) AS i`,
      [deadEndpoint, queued],
    );
    // the dead endpoint's attempts are under way, and hang
    await dead.waitFor(() => dead.received.length >= MAX_IN_FLIGHT_PER_ENDPOINT, 5000);

    const healthyEndpoint = await addEndpoint(t.db, healthy.url, healthySecret);
    const sent = Date.now();
    for (let i = 1; i <= 3; i++) {
      expect((await deliver(t.url, newOrderEvent({ id: `n${i}`, orderId: `o${i}` }))).status).toBe(200);
    }
    await healthy.waitFor(() => healthy.received.length === 3, 2000);
    expect(Date.now() - sent).toBeLessThan(2000);
    expect(healthy.received.map((r) => r.body.data.order_id).sort()).toEqual(['o1', 'o2', 'o3']);
    expect(healthy.received.every((r) => r.verifiedBy[0] === healthySecret)).toBe(true);
    expect(healthy.unverified).toEqual([]);
    // and their outcomes recorded (a moment after the receiver answered)
    const until = Date.now() + 1000;
    while ((await count(t.db, 'notifications', `endpoint_id = $1 AND status = 'delivered'`, [healthyEndpoint])) < 3) {
      if (Date.now() > until) throw new Error("the healthy endpoint's messages were received but not recorded delivered");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await count(t.db, 'notifications', `endpoint_id = $1`, [healthyEndpoint])).toBe(3);

    // meanwhile the dead endpoint has no more than its cap in flight, none answered, all still pending
    expect(dead.received.length).toBe(MAX_IN_FLIGHT_PER_ENDPOINT);
    expect(await count(t.db, 'notifications', `endpoint_id = $1 AND status = 'pending'`, [deadEndpoint])).toBe(queued + 3);
    // (the hanging attempts end when the receiver drops them; disable the endpoint so nothing more is sent)
    await t.db.query(`UPDATE notification_endpoints SET status = 'disabled' WHERE id = $1`, [deadEndpoint]);
    dead.reset([deadSecret]);
  }, 20_000);
});

describe('expiry tells the storefront (RESERVATION_TTL=1m; the sweep run here, orders aged with SQL)', () => {
  const t = useTestApp({ RESERVATION_TTL: '1m', NOTIFY_RETRY_SCHEDULE: '200ms,200ms', NOTIFY_TIMEOUT: '500ms', NOTIFY_ALLOW_PRIVATE_NETWORKS: 'true' });
  let own: ReservationSweeper | undefined;
  const sweep = () =>
    (own ??= new ReservationSweeper(t.app.get(AppConfig), t.app.get(OrdersService), t.app.get(TransactionRunner), t.app.get(MetricsService))).sweep();
  // the service's own sweeper is stopped: the sweep below is the one that expires the order
  beforeAll(() => t.app.get(ReservationSweeper).beforeApplicationShutdown());
  beforeEach(async () => {
    await resetAll(t.db);
    await seedStock(t.db, { A: 10 });
  });

  it('an expired order produces exactly one order.status_changed pending -> cancelled (reservation_expired), delivered and verified', async () => {
    const secret = newSecret();
    healthy.reset([secret]);
    const endpoint = await addEndpoint(t.db, healthy.url, secret, ['order.status_changed']);
    expect((await deliver(t.url, newOrderEvent({ id: 'n1', orderId: 'o1', items: [{ sku: 'A', quantity: 2 }] }))).status).toBe(200);
    await settled(t.db);
    await t.db.query(`UPDATE orders SET created_at = now() - interval '61 seconds' WHERE order_id = 'o1'`);

    expect(await sweep()).toBe(1);
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 10, reserved: 0 });
    await settled(t.db);
    // a second sweep finds nothing and tells nothing
    expect(await sweep()).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 300));

    const changes = healthy.received.filter((r) => r.body.type === 'order.status_changed').map((r) => r.body.data);
    expect(changes).toEqual([
      { source: 'default', order_id: 'o1', from_status: null, to_status: 'pending', reason: null },
      { source: 'default', order_id: 'o1', from_status: 'pending', to_status: 'cancelled', reason: 'reservation_expired' },
    ]);
    const expiry = healthy.received[1];
    expect(expiry.verifiedBy).toEqual([secret]);
    expect(healthy.unverified).toEqual([]);
    const rows = await t.db.query<{ message_id: string; status: string; body: string }[]>(
      `SELECT message_id, status::text AS status, body FROM notifications WHERE endpoint_id = $1 ORDER BY id`,
      [endpoint],
    );
    expect(rows).toHaveLength(2);
    expect(rows[1]).toEqual({ message_id: expiry.messageId, status: 'delivered', body: expiry.raw });
  });
});
