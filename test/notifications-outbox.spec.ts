import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DataSource } from 'typeorm';
import { count, failInserts, resetDatabase, seedStock } from './support/database.js';
import { holdStockRows } from './support/held-rows.js';
import { metricsPage, sampleOf } from './support/metrics.js';
import { newSecret, NotificationReceiver } from './support/notification-receiver.js';
import { failedDelivery, useServiceLogs } from './support/service-logs.js';
import { ADMIN_TOKEN, admin, deliver, newOrderEvent, useTestApp } from './support/test-app.js';

const ENV = {
  NOTIFY_RETRY_SCHEDULE: '200ms,200ms,1500ms',
  NOTIFY_TIMEOUT: '500ms',
  NOTIFY_ALLOW_PRIVATE_NETWORKS: 'true',
};

let sequence = 0;
function lifecycle(event: string, orderId: string, data: Record<string, unknown> = {}): string {
  sequence += 1;
  return JSON.stringify({ id: `evt-${event}-${orderId}-${sequence}`, event, data: { order_id: orderId, ...data } });
}

async function addEndpoint(db: DataSource, url: string, secret: string, events: string[] | null = null): Promise<string> {
  const [{ id }] = await db.query<{ id: string }[]>(
    `INSERT INTO notification_endpoints (url, events, secret) VALUES ($1, $2, $3) RETURNING id::text AS id`,
    [url, events, secret],
  );
  return id;
}

interface Row {
  id: string;
  endpoint_id: string;
  message_id: string;
  event_type: string;
  body: string;
  status: string;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
}

async function messages(db: DataSource, where = 'true', params: unknown[] = []): Promise<Row[]> {
  return db.query(
    `SELECT id::text AS id, endpoint_id::text AS endpoint_id, message_id, event_type, body, status::text AS status, attempts,
            last_status_code, last_error
       FROM notifications WHERE ${where} ORDER BY id`,
    params,
  );
}

function bodyOf(row: Row): { type: string; timestamp: string; data: Record<string, unknown> } {
  return JSON.parse(row.body) as { type: string; timestamp: string; data: Record<string, unknown> };
}

async function settled(db: DataSource, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while ((await count(db, 'notifications', `status = 'pending'`)) > 0) {
    if (Date.now() > until) throw new Error('messages still pending');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function resetAll(db: DataSource): Promise<void> {
  await db.query(`DROP TRIGGER IF EXISTS fail_poison ON orders`);
  // Row by row (messages go with their endpoint): a TRUNCATE's exclusive locks could deadlock with the running sender.
  await db.query(`DELETE FROM notification_endpoints`);
  await db.query(`SELECT setval('notifications_id_seq', 1, false)`);
  await resetDatabase(db);
}

const receiver = new NotificationReceiver();
beforeAll(() => receiver.start());
afterAll(() => receiver.close());

describe('the outbox and its senders', () => {
  const t = useTestApp(ENV);
  const logs = useServiceLogs();
  let secret: string;
  let endpoint: string;
  beforeEach(async () => {
    await resetAll(t.db);
    secret = newSecret();
    receiver.reset([secret]);
    endpoint = await addEndpoint(t.db, receiver.url, secret);
  });

  it('writes nothing for a change rolled back, and exactly the messages of each change committed, group commit included', async () => {
    await seedStock(t.db, { A: 100 });
    await failInserts(t.db, { name: 'fail_poison', table: 'orders', when: `NEW.order_id = 'poison'`, message: 'poisoned order' });
    const held = await holdStockRows(['A']);
    let answers: Promise<{ status: number }[]>;
    try {
      const bodies = Array.from({ length: 19 }, (_, i) => newOrderEvent({ id: `evt-${i}`, orderId: `o-${i}`, items: [{ sku: 'A', quantity: 1 }] }));
      bodies.splice(10, 0, newOrderEvent({ id: 'evt-poison', orderId: 'poison', items: [{ sku: 'A', quantity: 1 }] }));
      answers = Promise.all(bodies.map((body) => deliver(t.url, body)));
      await held.waitForWaiters(1);
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      await held.release();
    }
    const statuses = (await answers).map((a) => a.status);
    expect(statuses.filter((s) => s === 500)).toHaveLength(1);
    expect(await logs.errors()).toEqual(failedDelivery('evt-poison', /^QueryFailedError: poisoned order/));

    await settled(t.db);
    const rows = await messages(t.db);
    // one order.status_changed per order created, none for the poisoned one that rolled back
    expect(rows.map((r) => bodyOf(r).data.order_id).sort()).toEqual(Array.from({ length: 19 }, (_, i) => `o-${i}`).sort());
    for (const row of rows) {
      expect(row.event_type).toBe('order.status_changed');
      expect(bodyOf(row)).toEqual({
        type: 'order.status_changed',
        timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/),
        data: { source: 'default', order_id: expect.any(String), from_status: null, to_status: 'pending', reason: null },
      });
    }
    expect(new Set(rows.map((r) => r.message_id)).size).toBe(19);
    // every one delivered, verified, with the body the outbox kept, byte for byte
    expect(rows.every((r) => r.status === 'delivered' && r.attempts === 1 && r.last_status_code === 204)).toBe(true);
    expect(receiver.unverified).toEqual([]);
    expect(receiver.received.map((r) => r.raw).sort()).toEqual(rows.map((r) => r.body).sort());
    expect(receiver.received.map((r) => r.messageId).sort()).toEqual(rows.map((r) => r.message_id).sort());
  });

  it('writes no message for a lifecycle change whose transaction rolls back', async () => {
    await seedStock(t.db, { A: 10 });
    expect((await deliver(t.url, newOrderEvent({ id: 'n1', orderId: 'o1', items: [{ sku: 'A', quantity: 1 }] }))).status).toBe(200);
    await settled(t.db);
    // the payment's history row cannot be written: the whole delivery rolls back, its message with it
    await failInserts(t.db, { name: 'fail_poison', table: 'order_status_history', when: `NEW.order_id = 'o1'`, message: 'poisoned history' });
    expect((await deliver(t.url, lifecycle('payment_succeeded', 'o1'))).status).toBe(500);
    expect(await logs.errors()).toEqual(failedDelivery(expect.stringMatching(/^evt-payment_succeeded-o1-/), /^QueryFailedError: poisoned history/));
    await t.db.query(`DROP TRIGGER IF EXISTS fail_poison ON order_status_history`);
    expect(await count(t.db, 'notifications')).toBe(1);
    expect((await deliver(t.url, lifecycle('payment_succeeded', 'o1'))).status).toBe(200);
    await settled(t.db);
    expect((await messages(t.db)).map((r) => bodyOf(r).data)).toEqual([
      { source: 'default', order_id: 'o1', from_status: null, to_status: 'pending', reason: null },
      { source: 'default', order_id: 'o1', from_status: 'pending', to_status: 'paid', reason: null },
    ]);
  });

  it("tells one order's status changes so that their order can be seen, each to the subscribed endpoints only", async () => {
    const stockOnly = await addEndpoint(t.db, receiver.url, secret, ['stock.low']);
    await seedStock(t.db, { A: 10 });
    await deliver(t.url, newOrderEvent({ id: 'n1', orderId: 'o1', items: [{ sku: 'A', quantity: 1 }] }));
    await deliver(t.url, lifecycle('payment_succeeded', 'o1'));
    await deliver(t.url, lifecycle('order_fulfilled', 'o1'));
    await settled(t.db);
    const seen = receiver.received.filter((r) => r.body.type === 'order.status_changed').sort((a, b) => a.body.timestamp.localeCompare(b.body.timestamp));
    expect(seen.map((r) => [r.body.data.from_status, r.body.data.to_status])).toEqual([
      [null, 'pending'],
      ['pending', 'paid'],
      ['paid', 'fulfilled'],
    ]);
    // (sends run in parallel, so arrival order is not promised: the timestamps and from/to statuses order them)
    expect(receiver.received).toHaveLength(3);
    expect(await count(t.db, 'notifications', `endpoint_id = $1`, [stockOnly])).toBe(0);
    expect(await count(t.db, 'notifications', `endpoint_id = $1`, [endpoint])).toBe(3);
  });

  it('retries after a 503 with the same webhook-id and body, each attempt signed afresh', async () => {
    receiver.reply = (_r, nth) => (nth <= 2 ? { status: 503, body: 'busy '.repeat(2000) } : { status: 200 });
    await deliver(t.url, newOrderEvent({ id: 'n1', orderId: 'o1' }));
    await settled(t.db);
    const [row] = await messages(t.db);
    expect(row).toMatchObject({ status: 'delivered', attempts: 3, last_status_code: 200, last_error: null });
    const attempts = receiver.of(row.message_id);
    expect(attempts).toHaveLength(3);
    expect(receiver.received).toHaveLength(3);
    for (const a of attempts) {
      expect(a.raw).toBe(row.body);
      expect(a.verifiedBy).toEqual([secret]);
    }
    // about 200 ms apart (the schedule's first steps, ±10 %)
    expect(attempts[1].at - attempts[0].at).toBeGreaterThanOrEqual(170);
    expect(attempts[1].at - attempts[0].at).toBeLessThan(1000);
  });

  it('keeps a non-2xx answer, cut to 4 KB, in last_error, and fails the message after the schedule', async () => {
    receiver.reply = () => ({ status: 500, body: 'x'.repeat(10_000) });
    await deliver(t.url, newOrderEvent({ id: 'n1', orderId: 'o1' }));
    await settled(t.db);
    const [row] = await messages(t.db);
    // the first attempt and one per step of the schedule
    expect(row).toMatchObject({ status: 'failed', attempts: 4, last_status_code: 500 });
    expect(row.last_error).toBe(`HTTP 500: ${'x'.repeat(4096)}`);
    expect(receiver.received).toHaveLength(4);
  });

  it('honours retry-after on a 429 and a 503', async () => {
    receiver.reply = (_r, nth) => (nth === 1 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 204 });
    await deliver(t.url, newOrderEvent({ id: 'n1', orderId: 'o1' }));
    await settled(t.db);
    const [first, second] = receiver.received;
    // a second, not the schedule's 200 ms
    expect(second.at - first.at).toBeGreaterThanOrEqual(950);
    expect((await messages(t.db))[0]).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it('disables the endpoint on a 410; its messages wait, pending, and go once it is enabled again', async () => {
    receiver.reply = (_r, nth) => (nth === 1 ? { status: 410 } : { status: 204 });
    await deliver(t.url, newOrderEvent({ id: 'n1', orderId: 'o1' }));
    await receiver.waitFor(() => receiver.received.length === 1);
    const until = Date.now() + 5000;
    while ((await t.db.query(`SELECT status FROM notification_endpoints WHERE id = $1`, [endpoint]))[0].status !== 'disabled') {
      if (Date.now() > until) throw new Error('endpoint not disabled');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const [ep] = await t.db.query(`SELECT status::text AS status, status_reason FROM notification_endpoints WHERE id = $1`, [endpoint]);
    expect(ep.status).toBe('disabled');
    expect(ep.status_reason).toMatch(/410/);
    // a new change while disabled writes nothing for it
    await deliver(t.url, lifecycle('payment_succeeded', 'o1'));
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(receiver.received).toHaveLength(1);
    expect(await messages(t.db)).toEqual([expect.objectContaining({ status: 'pending', last_status_code: 410 })]);

    await t.db.query(`UPDATE notification_endpoints SET status = 'enabled', status_reason = NULL WHERE id = $1`, [endpoint]);
    await settled(t.db);
    expect(receiver.received).toHaveLength(2);
    expect(receiver.received[1].messageId).toBe(receiver.received[0].messageId);
    expect((await messages(t.db))[0]).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it('retries an attempt that times out', async () => {
    receiver.reply = (_r, nth) => (nth === 1 ? 'hang' : { status: 204 });
    await deliver(t.url, newOrderEvent({ id: 'n1', orderId: 'o1' }));
    await settled(t.db);
    const [first, second] = receiver.received;
    // NOTIFY_TIMEOUT (500 ms) and the schedule's first step (200 ms ± 10 %)
    expect(second.at - first.at).toBeGreaterThanOrEqual(650);
    // ended by the timeout, not by the lease running out (timeout + 5 s)
    expect(second.at - first.at).toBeLessThan(3000);
    expect(second.messageId).toBe(first.messageId);
    expect((await messages(t.db))[0]).toMatchObject({ status: 'delivered', attempts: 2, last_status_code: 204 });
  });

  it('retries a refused connection, fails after the schedule, and POST /notifications/:id/retry sends it again', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await t.db.query(`UPDATE notification_endpoints SET url = $2 WHERE id = $1`, [endpoint, `http://127.0.0.1:${port}/hooks`]);
    await deliver(t.url, newOrderEvent({ id: 'n1', orderId: 'o1' }));
    await settled(t.db);
    const [row] = await messages(t.db);
    expect(row).toMatchObject({ status: 'failed', attempts: 4, last_status_code: null });
    expect(row.last_error).toMatch(/ECONNREFUSED/);

    const listed = await admin(t.url, 'GET', `/notifications?status=failed&endpoint_id=${endpoint}`);
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({
      items: [
        {
          id: row.id,
          endpoint_id: endpoint,
          event_type: 'order.status_changed',
          status: 'failed',
          attempts: 4,
          last_status_code: null,
          last_error: expect.stringMatching(/ECONNREFUSED/),
          next_attempt_at: null,
          created_at: expect.any(String),
          delivered_at: null,
        },
      ],
      next_cursor: null,
    });

    await t.db.query(`UPDATE notification_endpoints SET url = $2 WHERE id = $1`, [endpoint, receiver.url]);
    const retried = await admin(t.url, 'POST', `/notifications/${row.id}/retry`);
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ id: row.id, status: 'pending', attempts: 0 });
    await settled(t.db);
    expect((await messages(t.db))[0]).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(receiver.of(row.message_id)).toHaveLength(1);

    expect((await admin(t.url, 'POST', `/notifications/${row.id}/retry`)).status).toBe(409);
    expect((await admin(t.url, 'POST', `/notifications/999999/retry`)).status).toBe(404);
    expect((await admin(t.url, 'POST', `/notifications/abc/retry`)).status).toBe(400);
    expect((await admin(t.url, 'POST', `/notifications/${row.id}/retry`, undefined, null)).status).toBe(401);
  });

  it("shows an endpoint's messages in the console with attempts, last status code and next attempt, and retries a failed one", async () => {
    receiver.reply = (_r, nth) => (nth <= 4 ? { status: 502 } : { status: 204 });
    await deliver(t.url, newOrderEvent({ id: 'n1', orderId: 'o1' }));
    await settled(t.db);
    const [row] = await messages(t.db);
    expect(row).toMatchObject({ status: 'failed', attempts: 4, last_status_code: 502 });
    const login = await fetch(`${t.url}/console/login`, {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams({ token: ADMIN_TOKEN }),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    const cookie = login.headers.get('set-cookie')!.split(';')[0];
    expect((await fetch(`${t.url}/console/notifications?endpoint_id=${endpoint}`, { redirect: 'manual' })).status).toBe(303);
    const page = await (await fetch(`${t.url}/console/notifications?endpoint_id=${endpoint}`, { headers: { cookie } })).text();
    const tableRow = page.slice(page.indexOf(`<tr data-id="${row.id}">`));
    expect(tableRow).toMatch(/<td class="attempts">4<\/td><td class="last-status-code">502<\/td>/);
    expect(tableRow).toContain(`action="/console/notifications/${row.id}/retry?endpoint_id=${endpoint}"`);

    const retried = await fetch(`${t.url}/console/notifications/${row.id}/retry?endpoint_id=${endpoint}`, { method: 'POST', redirect: 'manual', headers: { cookie } });
    expect(retried.status).toBe(303);
    expect(retried.headers.get('location')).toBe(`/console/notifications?endpoint_id=${endpoint}&id=${row.id}&done=retried`);
    expect(await (await fetch(`${t.url}${retried.headers.get('location')!}`, { headers: { cookie } })).text()).toContain(
      `<div class="flash" role="status">Notification ${row.id} is pending again and goes now.</div>`,
    );
    await settled(t.db);
    expect((await messages(t.db))[0]).toMatchObject({ status: 'delivered', attempts: 1 });
    const after = await (await fetch(`${t.url}/console/notifications?endpoint_id=${endpoint}`, { headers: { cookie } })).text();
    expect(after).toContain('<span class="status delivered">delivered</span>');
    expect(after).not.toContain('/retry');
    const again = await fetch(`${t.url}/console/notifications/${row.id}/retry`, { method: 'POST', redirect: 'manual', headers: { cookie } });
    expect(again.status).toBe(409);
    expect(await again.text()).toMatch(/<div class="flash error" role="status">notification \d+ is delivered, not failed/);
  });

  it('lists messages newest first, filtered by endpoint, status and event type, a page at a time', async () => {
    const other = await addEndpoint(t.db, receiver.url, secret, ['order.needs_attention']);
    await seedStock(t.db, { A: 10 });
    await deliver(t.url, newOrderEvent({ id: 'n1', orderId: 'o1', items: [{ sku: 'A', quantity: 1 }] }));
    await deliver(t.url, lifecycle('order_cancelled', 'o1'));
    await deliver(t.url, lifecycle('payment_succeeded', 'o1'));
    await settled(t.db);
    const all = await admin(t.url, 'GET', '/notifications');
    expect(all.status).toBe(200);
    const items = all.body.items as { id: string; endpoint_id: string; event_type: string }[];
    // the needs_attention message to each endpoint (one change: its rows in either order), then the two status changes
    expect(items.slice(0, 2).map((i) => [i.endpoint_id, i.event_type]).sort()).toEqual(
      [
        [other, 'order.needs_attention'],
        [endpoint, 'order.needs_attention'],
      ].sort(),
    );
    expect(items.slice(2).map((i) => [i.endpoint_id, i.event_type])).toEqual([
      [endpoint, 'order.status_changed'],
      [endpoint, 'order.status_changed'],
    ]);
    expect(items.map((i) => Number(i.id))).toEqual([...items.map((i) => Number(i.id))].sort((a, b) => b - a));

    const byEndpoint = await admin(t.url, 'GET', `/notifications?endpoint_id=${other}`);
    expect((byEndpoint.body.items as unknown[]).length).toBe(1);
    const byType = await admin(t.url, 'GET', `/notifications?event_type=order.status_changed&status=delivered`);
    expect((byType.body.items as { event_type: string }[]).map((i) => i.event_type)).toEqual(['order.status_changed', 'order.status_changed']);
    expect((await admin(t.url, 'GET', `/notifications?status=pending`)).body.items).toEqual([]);

    const first = await admin(t.url, 'GET', '/notifications?limit=3');
    expect((first.body.items as { id: string }[]).map((i) => i.id)).toEqual(items.slice(0, 3).map((i) => i.id));
    const second = await admin(t.url, 'GET', `/notifications?limit=3&cursor=${String(first.body.next_cursor)}`);
    expect(second.body).toEqual({ items: [items[3]], next_cursor: null });

    const bad = await admin(t.url, 'GET', '/notifications?status=lost&endpoint_id=x');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/status/);
    expect(JSON.stringify(bad.body)).toMatch(/endpoint_id/);
    expect((await admin(t.url, 'GET', '/notifications', undefined, null)).status).toBe(401);
  });

  it('tells order.needs_attention with the reason when an order is flagged, once while it stays flagged', async () => {
    await deliver(t.url, newOrderEvent({ id: 'n1', orderId: 'o1' }));
    await deliver(t.url, lifecycle('order_cancelled', 'o1'));
    await deliver(t.url, lifecycle('payment_succeeded', 'o1'));
    await deliver(t.url, lifecycle('payment_succeeded', 'o1'));
    await settled(t.db);
    const flagged = receiver.received.filter((r) => r.body.type === 'order.needs_attention');
    expect(flagged.map((r) => r.body.data)).toEqual([{ source: 'default', order_id: 'o1', reason: 'payment_for_cancelled_order' }]);
  });

  it('tells stock.low once per crossing of the threshold, not for every order below it', async () => {
    await seedStock(t.db, { A: 5 });
    await t.db.query(`UPDATE stock SET low_stock_threshold = 2 WHERE sku = 'A'`);
    for (let i = 1; i <= 4; i++) {
      await deliver(t.url, newOrderEvent({ id: `n${i}`, orderId: `o${i}`, items: [{ sku: 'A', quantity: 1 }] }));
    }
    // 5 → 4 → 3 → 2 (the crossing) → 1
    await settled(t.db);
    const low = () => receiver.received.filter((r) => r.body.type === 'stock.low').map((r) => r.body.data);
    expect(low()).toEqual([{ sku: 'A', on_hand: 5, reserved: 3, available: 2, low_stock_threshold: 2 }]);
    // back above it (a PUT /inventory), then below again: a second crossing
    expect((await admin(t.url, 'PUT', '/inventory/A', { on_hand: 10 })).status).toBe(200);
    await deliver(t.url, newOrderEvent({ id: 'n5', orderId: 'o5', items: [{ sku: 'A', quantity: 1 }] }));
    expect((await admin(t.url, 'POST', '/inventory/A/adjustments', { delta: -4, reason: 'damaged' })).status).toBe(201);
    await settled(t.db);
    expect(low()).toEqual([
      { sku: 'A', on_hand: 5, reserved: 3, available: 2, low_stock_threshold: 2 },
      { sku: 'A', on_hand: 6, reserved: 5, available: 1, low_stock_threshold: 2 },
    ]);
  });

  it('signs with both secrets while the previous one is in its overlap, with the current one alone after', async () => {
    const previous = newSecret();
    receiver.reset([secret, previous]);
    await t.db.query(`UPDATE notification_endpoints SET previous_secret = $2, previous_secret_until = now() + interval '1 hour' WHERE id = $1`, [
      endpoint,
      previous,
    ]);
    await deliver(t.url, newOrderEvent({ id: 'n1', orderId: 'o1' }));
    await settled(t.db);
    expect(receiver.received[0].verifiedBy).toEqual([secret, previous]);
    expect(receiver.received[0].headers['webhook-signature'].split(' ')).toHaveLength(2);

    await t.db.query(`UPDATE notification_endpoints SET previous_secret_until = now() - interval '1 second' WHERE id = $1`, [endpoint]);
    await deliver(t.url, lifecycle('order_cancelled', 'o1'));
    await settled(t.db);
    expect(receiver.received[1].verifiedBy).toEqual([secret]);
    expect(receiver.received[1].headers['webhook-signature'].split(' ')).toHaveLength(1);
  });

  it('counts attempts by outcome and shows the queue in /metrics', async () => {
    receiver.reply = (_r, nth) => (nth === 1 ? { status: 503 } : { status: 204 });
    const before = sampleOf(await metricsPage(t.url), 'shelfsync_notification_attempts_total{outcome="retry"}');
    await deliver(t.url, newOrderEvent({ id: 'n1', orderId: 'o1' }));
    await settled(t.db);
    const page = await metricsPage(t.url);
    expect(sampleOf(page, 'shelfsync_notification_attempts_total{outcome="retry"}')).toBe(before + 1);
    expect(sampleOf(page, 'shelfsync_notification_attempts_total{outcome="delivered"}')).toBeGreaterThanOrEqual(1);
    expect(page).toMatch(/^shelfsync_notifications_due \d+/m);
    expect(page).toMatch(/^shelfsync_notification_oldest_pending_seconds \d+/m);
  });
});

describe('the outbox with no endpoint', () => {
  const t = useTestApp(ENV);
  beforeEach(() => resetAll(t.db));

  it('writes no message when no endpoint is enabled', async () => {
    const id = await addEndpoint(t.db, receiver.url, newSecret());
    await t.db.query(`UPDATE notification_endpoints SET status = 'disabled' WHERE id = $1`, [id]);
    await seedStock(t.db, { A: 1 });
    await t.db.query(`UPDATE stock SET low_stock_threshold = 0 WHERE sku = 'A'`);
    expect((await deliver(t.url, newOrderEvent({ id: 'n1', orderId: 'o1', items: [{ sku: 'A', quantity: 1 }] }))).status).toBe(200);
    expect(await count(t.db, 'notifications')).toBe(0);
  });
});

describe('the outbox refusing private addresses at send time', () => {
  const t = useTestApp({ ...ENV, NOTIFY_ALLOW_PRIVATE_NETWORKS: 'false' });
  beforeEach(() => resetAll(t.db));

  it("fails the attempt with the guard's reason and never connects", async () => {
    const secret = newSecret();
    receiver.reset([secret]);
    await addEndpoint(t.db, receiver.url, secret);
    await deliver(t.url, newOrderEvent({ id: 'n1', orderId: 'o1' }));
    await settled(t.db);
    const [row] = await messages(t.db);
    expect(row).toMatchObject({ status: 'failed', attempts: 4, last_status_code: null });
    expect(row.last_error).toMatch(/^refused: .*loopback, private or link-local address \(127\.0\.0\.1\)/);
    expect(receiver.received).toEqual([]);
  });
});
