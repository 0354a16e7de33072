import { beforeEach, describe, expect, it, jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { TransactionRunner } from '../src/database/transaction-runner.js';
import { OrdersService } from '../src/orders/orders.service.js';
import { ERROR_TEXT_LIMIT, WebhookEventStore } from '../src/webhooks/webhook-event.store.js';
import { count, resetDatabase, seedStock, stockOf, failInserts } from './support/database.js';
import { failedDelivery, useServiceLogs } from './support/service-logs.js';
import { admin, deliver, newOrderEvent, useTestApp, type TestApp } from './support/test-app.js';

/** Makes every `paid` history row fail inside the database: a real error in the middle of a handler. */
async function breakPayments(t: TestApp): Promise<void> {
  await failInserts(t.db, {
    name: 'fail_paid',
    table: 'order_status_history',
    when: `NEW.to_status = 'paid'`,
    message: 'payments are broken for this test',
  });
}

async function repairPayments(t: TestApp): Promise<void> {
  await t.db.query(`DROP TRIGGER IF EXISTS fail_paid ON order_status_history`);
}

describe('event log and replay', () => {
  const t = useTestApp();
  const logs = useServiceLogs();
  beforeEach(async () => {
    await repairPayments(t);
    await resetDatabase(t.db);
    await seedStock(t.db, { A: 10 });
  });

  const order = (orderId: string) => deliver(t.url, newOrderEvent({ id: `new-${orderId}`, orderId, items: [{ sku: 'A', quantity: 2 }] }));
  const pay = (orderId: string, id = `pay-${orderId}`) =>
    deliver(t.url, JSON.stringify({ id, event: 'payment_succeeded', data: { order_id: orderId } }));
  /** A payment while payments are broken: answered 500, and logged as a failed delivery with its error. */
  const payFailing = async (orderId: string) => {
    expect((await pay(orderId)).status).toBe(500);
    expect(await logs.errors()).toEqual(failedDelivery(`pay-${orderId}`, /^QueryFailedError: payments are broken for this test/));
  };

  it('keeps a delivery whose handler fails as failed, answers 500, and rolls back its effects', async () => {
    await order('o');
    await breakPayments(t);
    const res = await pay('o');
    expect(res.status).toBe(500);
    expect(await logs.errors()).toEqual(failedDelivery('pay-o', /^QueryFailedError: payments are broken for this test/));
    expect(res.body).toMatchObject({ error: 'internal_error' });
    expect(JSON.stringify(res.body)).not.toMatch(/payments are broken/);

    const list = await admin(t.url, 'GET', '/webhook-events?status=failed');
    expect(list.body.items).toHaveLength(1);
    const [failed] = list.body.items as { id: string; status: string; attempts: number; last_error: string }[];
    expect(failed).toMatchObject({ status: 'failed', attempts: 1, event_type: 'payment_succeeded', order_id: 'o' });
    expect(failed.last_error).toMatch(/payments are broken/);
    expect((await admin(t.url, 'GET', '/orders/o')).body.status).toBe('pending');

    // The sender retries while it is still broken: still failed, one more attempt.
    await payFailing('o');
    expect((await admin(t.url, 'GET', `/webhook-events/${failed.id}`)).body).toMatchObject({ status: 'failed', attempts: 2 });
  });

  it('keeps a delivery whose handler fails with an error PostgreSQL cannot store as text: failed, its bytes, a clean error, replayable', async () => {
    await order('o');
    const body = JSON.stringify({ id: 'pay-o', event: 'payment_succeeded', data: { order_id: 'o' } });
    // A NUL and a lone surrogate in the error, as a gateway's text can put there, and far more of it than is kept.
    const fault = jest
      .spyOn(t.app.get(OrdersService), 'apply')
      .mockRejectedValueOnce(new Error(`handler broke on "a\u0000b" and "\ud800" ${'x'.repeat(3 * ERROR_TEXT_LIMIT)}`));
    try {
      expect((await deliver(t.url, body)).status).toBe(500);
    } finally {
      fault.mockRestore();
    }
    expect(await logs.errors()).toEqual(failedDelivery('pay-o', /^Error: handler broke on "a.b" and ".+" x/));

    const [kept] = await t.db.query(`SELECT id, status, attempts, last_error, raw_body FROM webhook_events WHERE event_id = 'pay-o'`);
    expect(kept).toMatchObject({ status: 'failed', attempts: 1 });
    expect(kept.raw_body.equals(Buffer.from(body))).toBe(true);
    expect(kept.last_error.startsWith('handler broke on "a\ufffdb" and "\ufffd" xxx')).toBe(true);
    expect(kept.last_error).toHaveLength(ERROR_TEXT_LIMIT);
    expect((await admin(t.url, 'GET', '/orders/o')).body.status).toBe('pending');

    const replayed = await admin(t.url, 'POST', `/webhook-events/${kept.id}/replay`);
    expect(replayed.body).toMatchObject({ status: 'processed', attempts: 2, last_error: null });
    expect((await admin(t.url, 'GET', '/orders/o')).body.status).toBe('paid');
  });

  it('keeps a failed delivery whose ids, type and headers hold a NUL or a lone surrogate, one record however often it fails', async () => {
    const store = t.app.get(WebhookEventStore);
    const rawBody = Buffer.from('{"id":"evt\\u0000","event":"new_order"}');
    const delivery = {
      source: 'default',
      idIsSigned: false,
      bytesPerType: false,
      headers: { 'x-odd': 'a\u0000b', 'x-odd-too': ['\udc00', 'c'] },
      rawBody,
      read: { eventId: 'evt\u0000\ud800', eventType: 'new_order\u0000', orderId: 'o\udbff' },
    };
    for (let attempt = 0; attempt < 2; attempt++) {
      await t.app.get(TransactionRunner).run((em) => store.recordFailed(em, { delivery }, new Error('bad \u0000')));
    }
    const rows = await t.db.query(`SELECT event_id, event_type, order_id, headers, raw_body, status, attempts, last_error FROM webhook_events`);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      event_id: 'evt\ufffd\ufffd', event_type: 'new_order\ufffd', order_id: 'o\ufffd', status: 'failed', attempts: 2, last_error: 'bad \ufffd',
    });
    expect(rows[0].headers).toMatchObject({ 'x-odd': 'a\ufffdb', 'x-odd-too': '\ufffd, c' });
    expect(rows[0].raw_body.equals(rawBody)).toBe(true);
  });

  it('keeps a failed delivery whose ids are too long for an index key, one record per id', async () => {
    const store = t.app.get(WebhookEventStore);
    // random text does not compress: 6,000 characters are past what a btree key holds; the two ids
    // share all but their last character, so only the digest of the whole id keeps them apart
    const head = randomBytes(3_000).toString('hex');
    const [first, second] = [`${head}a`, `${head}b`];
    for (const eventId of [first, second, first]) {
      const delivery = {
        source: 'default', idIsSigned: true, bytesPerType: false, headers: {}, rawBody: Buffer.from(eventId),
        read: { eventId, eventType: 'payment_succeeded', orderId: eventId },
      };
      await t.app.get(TransactionRunner).run((em) => store.recordFailed(em, { delivery }, new Error('handler broke')));
    }
    const rows = await t.db.query(`SELECT event_id, order_id, status, attempts, raw_body FROM webhook_events ORDER BY id`);
    expect(rows.map((r: { status: string; attempts: number }) => [r.status, r.attempts])).toEqual([['failed', 2], ['failed', 1]]);
    expect(rows[0].raw_body.toString()).toBe(first);
    expect(rows[0].event_id.startsWith(first.slice(0, 256))).toBe(true);
    expect(rows[0].event_id.length).toBeLessThan(400);
  });

  it('applies a failed delivery when the sender retries after the fault is gone', async () => {
    await order('o');
    await breakPayments(t);
    await payFailing('o');
    await repairPayments(t);
    const retry = await pay('o');
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ status: 'processed', order_status: 'paid' });
    const [event] = await t.db.query(`SELECT status, attempts, last_error FROM webhook_events WHERE event_id = 'pay-o'`);
    expect(event).toEqual({ status: 'processed', attempts: 2, last_error: null });
  });

  it('replays a failed delivery on request', async () => {
    await order('o');
    await breakPayments(t);
    await payFailing('o');
    const [{ id }] = await t.db.query(`SELECT id FROM webhook_events WHERE status = 'failed'`);

    const stillBroken = await admin(t.url, 'POST', `/webhook-events/${id}/replay`);
    expect(stillBroken.status).toBe(200);
    expect(stillBroken.body).toMatchObject({ status: 'failed', attempts: 2, last_error: expect.stringMatching(/payments are broken/) });

    await repairPayments(t);
    const replayed = await admin(t.url, 'POST', `/webhook-events/${id}/replay`);
    expect(replayed.body).toMatchObject({ status: 'processed', attempts: 3, last_error: null });
    expect((await admin(t.url, 'GET', '/orders/o')).body.status).toBe('paid');
  });

  it('replays an ignored delivery: still ignored while nothing changed, and nothing moves', async () => {
    await order('o');
    await deliver(t.url, JSON.stringify({ id: 'cancel', event: 'order_cancelled', data: { order_id: 'o' } }));
    await deliver(t.url, JSON.stringify({ id: 'ship', event: 'order_fulfilled', data: { order_id: 'o' } }));
    const [{ id }] = await t.db.query(`SELECT id FROM webhook_events WHERE event_id = 'ship'`);
    const replayed = await admin(t.url, 'POST', `/webhook-events/${id}/replay`);
    expect(replayed.body).toMatchObject({ status: 'ignored', attempts: 2 });
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 10, reserved: 0 });
  });

  it('replays an ignored payment once the operator recreated the missing state', async () => {
    // A new_order rejected for lack of stock, then paid: ignored, flagged. The operator restocks
    // and cannot resurrect the order, so the replay stays ignored — but it is recorded as an attempt.
    await deliver(t.url, newOrderEvent({ id: 'big', orderId: 'big', items: [{ sku: 'A', quantity: 50 }] }));
    await pay('big');
    const [{ id }] = await t.db.query(`SELECT id FROM webhook_events WHERE event_id = 'pay-big'`);
    const replayed = await admin(t.url, 'POST', `/webhook-events/${id}/replay`);
    expect(replayed.body).toMatchObject({ status: 'ignored', reason: 'payment_for_rejected_order', attempts: 2 });
  });

  it('applies a failed delivery once when replays and the sender\'s retries race', async () => {
    await order('o');
    await breakPayments(t);
    await payFailing('o');
    await repairPayments(t);
    const [{ id }] = await t.db.query(`SELECT id FROM webhook_events WHERE status = 'failed'`);
    const answers = await Promise.all([
      ...Array.from({ length: 5 }, () => admin(t.url, 'POST', `/webhook-events/${id}/replay`)),
      ...Array.from({ length: 5 }, () => pay('o')),
    ]);
    expect(answers.every((a) => [200, 409].includes(a.status))).toBe(true);
    expect(await count(t.db, 'order_status_history', `to_status = 'paid'`)).toBe(1);
    const [event] = await t.db.query(`SELECT status FROM webhook_events WHERE id = $1`, [id]);
    expect(event.status).toBe('processed');
  });

  it('records a replay of a stored body that no longer validates as a failed attempt', async () => {
    await order('o');
    await breakPayments(t);
    await payFailing('o');
    const [{ id }] = await t.db.query(`SELECT id FROM webhook_events WHERE status = 'failed'`);
    await t.db.query(
      `UPDATE webhook_events SET raw_body = convert_to('{"event":"payment_succeeded","data":{"order_id":"o","amount":"ten"}}', 'UTF8') WHERE id = $1`,
      [id],
    );
    const replayed = await admin(t.url, 'POST', `/webhook-events/${id}/replay`);
    expect(replayed.status).toBe(200);
    expect(replayed.body).toMatchObject({ status: 'failed', attempts: 2, last_error: expect.stringContaining('data.amount') });
    // The stored body no longer reads, so what it became is unknown.
    expect((await admin(t.url, 'GET', `/webhook-events/${id}`)).body.became).toBeNull();
  });

  it('refuses to replay a processed or deferred delivery (409) and unknown ids (404, 400)', async () => {
    await order('o');
    await deliver(t.url, JSON.stringify({ id: 'early', event: 'payment_succeeded', data: { order_id: 'later' } }));
    const [processed] = await t.db.query(`SELECT id FROM webhook_events WHERE event_id = 'new-o'`);
    const [deferred] = await t.db.query(`SELECT id FROM webhook_events WHERE event_id = 'early'`);
    expect((await admin(t.url, 'POST', `/webhook-events/${processed.id}/replay`)).status).toBe(409);
    expect((await admin(t.url, 'POST', `/webhook-events/${deferred.id}/replay`)).status).toBe(409);
    expect((await admin(t.url, 'POST', '/webhook-events/999999/replay')).status).toBe(404);
    expect((await admin(t.url, 'POST', '/webhook-events/abc/replay')).status).toBe(400);
    expect(await count(t.db, 'orders', `status = 'pending'`)).toBe(1);
  });

  it('shows one delivery with its headers and raw body, and lists them newest first, by status, a page at a time', async () => {
    const body = '{ "id": "look", "event": "new_order", "data": {"order_id": "look", "customer_name": "A", "total_amount": 1} }';
    await deliver(t.url, body, { headers: { 'x-gateway': 'acme', authorization: 'Bearer gateway-credential' } });
    for (let i = 0; i < 5; i++) await order(`o${i}`);
    await deliver(t.url, JSON.stringify({ id: 'odd', event: 'customer_waved', data: {} }));

    const [{ id }] = await t.db.query(`SELECT id FROM webhook_events WHERE event_id = 'look'`);
    const one = await admin(t.url, 'GET', `/webhook-events/${id}`);
    expect(one.body).toMatchObject({
      id: String(id), provider: 'shelfsync', event_id: 'look', event_type: 'new_order', status: 'processed', attempts: 1, raw_body: body,
      became: ['new_order'],
    });
    expect((one.body.headers as Record<string, string>)['x-gateway']).toBe('acme');
    expect((one.body.headers as Record<string, string>).authorization).toBeUndefined();

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await admin(t.url, 'GET', `/webhook-events?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      seen.push(...(page.body.items as { event_id: string }[]).map((e) => e.event_id));
      cursor = page.body.next_cursor as string | null;
    } while (cursor);
    expect(seen).toEqual(['odd', 'new-o4', 'new-o3', 'new-o2', 'new-o1', 'new-o0', 'look']);

    const ignored = await admin(t.url, 'GET', '/webhook-events?status=ignored');
    expect(ignored.body.items).toEqual([expect.objectContaining({ event_id: 'odd', provider: 'shelfsync' })]);
    // An event type the provider does not know became nothing.
    expect((await admin(t.url, 'GET', `/webhook-events/${(ignored.body.items as { id: string }[])[0].id}`)).body.became).toEqual([]);
    expect((await admin(t.url, 'GET', '/webhook-events?status=nope')).status).toBe(400);
    expect((await admin(t.url, 'GET', '/webhook-events?cursor=forged')).status).toBe(400);
    expect((await admin(t.url, 'GET', '/webhook-events?limit=0')).status).toBe(400);
  });
});
