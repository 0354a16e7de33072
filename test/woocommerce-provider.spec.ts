import { beforeEach, describe, expect, it } from '@jest/globals';
import { count, ledgerMismatches, resetDatabase, seedStock, stockOf } from './support/database.js';
import { metricsPage, sampleOf } from './support/metrics.js';
import { admin, type Answer, deliver, useTestApp } from './support/test-app.js';
import { WOO_FIXTURES, wooHeaders, wooOrderBody, type WooEdits } from './support/woocommerce.js';

const SECRET = 'woo-secret with spaces & symbols';
const PATH = '/webhooks/woo';

/**
 * A WooCommerce store's webhook pointed at /webhooks/woo, as it delivers: the
 * docs' sample order (727: two units of a product without a SKU at 3.00, one
 * `Bar3` at 12.00, total 29.35), edited only where the test names its order
 * or the status, signed over the exact bytes.
 */
describe('WooCommerce deliveries (WEBHOOK_WOO_PROVIDER=woocommerce)', () => {
  const t = useTestApp({ WEBHOOK_WOO_PROVIDER: 'woocommerce', WEBHOOK_WOO_SECRET: `old-secret,${SECRET}` });
  beforeEach(async () => {
    await resetDatabase(t.db);
    await seedStock(t.db, { Bar3: 10 });
  });

  const body = (topic: 'order.created' | 'order.updated', edits: WooEdits) =>
    wooOrderBody(topic === 'order.created' ? WOO_FIXTURES.created : WOO_FIXTURES.updated, edits);
  const post = (topic: string, bytes: Buffer, options: { deliveryId?: string; secret?: string } = {}): Promise<Answer> =>
    deliver(t.url, bytes, { path: PATH, signature: null, headers: wooHeaders(topic, bytes, options.secret ?? SECRET, options) });
  const created = (id: string, status: string) => post('order.created', body('order.created', { id, status }));
  const updated = (id: string, status: string, edits: WooEdits = {}) =>
    post('order.updated', body('order.updated', { id, status, ...edits }));
  const order = async (id: string) => (await admin(t.url, 'GET', `/orders/${id}`)).body;
  const bar3 = () => stockOf(t.db, 'Bar3');

  describe('order.created', () => {
    it('processing: the order is created and paid in one delivery, its SKU line reserved', async () => {
      const res = await created('w-1', 'processing');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'processed', order_status: 'paid' });
      expect(await order('w-1')).toMatchObject({
        order_id: 'w-1',
        status: 'paid',
        customer_name: 'John Doe',
        customer_email: 'john.doe@example.com',
        total_amount: 29.35,
        currency: 'USD',
      });
      expect(await bar3()).toEqual({ on_hand: 10, reserved: 1 });
      // the log keeps the native topic
      expect(await count(t.db, 'webhook_events', `source = 'woo' AND event_type = 'order.created' AND order_id = 'w-1'`)).toBe(1);
    });

    it('completed: created, paid and fulfilled; the reserved unit leaves on_hand', async () => {
      expect((await created('w-1', 'completed')).body).toMatchObject({ status: 'processed', order_status: 'fulfilled' });
      expect(await bar3()).toEqual({ on_hand: 9, reserved: 0 });
      expect(await ledgerMismatches(t.db)).toEqual([]);
    });

    it('pending: created, nothing more', async () => {
      expect((await created('w-1', 'pending')).body).toMatchObject({ status: 'processed', order_status: 'pending' });
      expect(await bar3()).toEqual({ on_hand: 10, reserved: 1 });
    });

    it('the docs\' line with "sku": "" is kept with sku null and reserves nothing', async () => {
      await created('w-1', 'processing');
      const { items } = await order('w-1');
      expect(items).toEqual([
        { sku: null, quantity: 2, unit_price: 3, reserved_quantity: 0, fulfilled_quantity: 0, returned_quantity: 0 },
        { sku: 'Bar3', quantity: 1, unit_price: 12, reserved_quantity: 1, fulfilled_quantity: 0, returned_quantity: 0 },
      ]);
      expect(await count(t.db, 'stock', `sku = ''`)).toBe(0);
      expect(await bar3()).toEqual({ on_hand: 10, reserved: 1 });
    });

    it('a 64-bit order id is kept digit for digit', async () => {
      expect((await created('9007199254740993', 'processing')).body).toMatchObject({ order_status: 'paid' });
      expect((await order('9007199254740993')).order_id).toBe('9007199254740993');
      expect(await count(t.db, 'orders', `order_id = '9007199254740992'`)).toBe(0);
    });
  });

  describe('order.updated', () => {
    it('processing pays a pending order', async () => {
      await created('w-1', 'pending');
      expect((await updated('w-1', 'processing')).body).toMatchObject({ status: 'processed', order_status: 'paid' });
    });

    it('completed fulfils a paid order (stock committed)', async () => {
      await created('w-1', 'processing');
      expect((await updated('w-1', 'completed')).body).toMatchObject({ status: 'processed', order_status: 'fulfilled' });
      expect(await bar3()).toEqual({ on_hand: 9, reserved: 0 });
    });

    it('completed on an order never paid pays it first, then fulfils it', async () => {
      await created('w-1', 'pending');
      expect((await updated('w-1', 'completed')).body).toMatchObject({ status: 'processed', order_status: 'fulfilled' });
      expect(await bar3()).toEqual({ on_hand: 9, reserved: 0 });
      const history = (await order('w-1')).history as { to_status: string }[];
      expect(history.map((h) => h.to_status)).toEqual(['pending', 'paid', 'fulfilled']);
    });

    it('cancelled releases the reservation', async () => {
      await created('w-1', 'processing');
      expect((await updated('w-1', 'cancelled')).body).toMatchObject({ status: 'processed', order_status: 'cancelled' });
      expect(await bar3()).toEqual({ on_hand: 10, reserved: 0 });
    });

    it('refunded refunds a paid order and releases the reservation', async () => {
      await created('w-1', 'processing');
      expect((await updated('w-1', 'refunded')).body).toMatchObject({ status: 'processed', order_status: 'refunded' });
      expect(await bar3()).toEqual({ on_hand: 10, reserved: 0 });
    });

    it('failed fails the payment and keeps the reservation', async () => {
      await created('w-1', 'pending');
      expect((await updated('w-1', 'failed')).body).toMatchObject({ status: 'processed', order_status: 'payment_failed' });
      expect(await bar3()).toEqual({ on_hand: 10, reserved: 1 });
    });

    it.each([['pending'], ['on-hold']])('%s changes nothing: the snapshot is the order as it is (already_applied)', async (status) => {
      await created('w-1', 'pending');
      const res = await updated('w-1', status);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'ignored', reason: 'already_applied' });
      expect((await order('w-1')).status).toBe('pending');
      expect(await bar3()).toEqual({ on_hand: 10, reserved: 1 });
    });

    it('an update before its creation is deferred, then applied when the order is created', async () => {
      const early = await updated('w-1', 'completed');
      expect(early.body).toMatchObject({ status: 'deferred', reason: 'order_not_found' });
      const res = await created('w-1', 'processing');
      expect(res.body).toMatchObject({ status: 'processed', order_status: 'fulfilled' });
      expect(await bar3()).toEqual({ on_hand: 9, reserved: 0 });
    });

    it('an update byte for byte like its creation, arriving first, does not make the creation a duplicate', async () => {
      // WooCommerce builds both bodies from the order when it sends them: the same bytes under two topics.
      const bytes = body('order.created', { id: 'w-1', status: 'processing' });
      expect((await post('order.updated', bytes)).body).toMatchObject({ status: 'deferred', reason: 'order_not_found' });
      expect((await post('order.created', bytes)).body).toMatchObject({ status: 'processed', order_status: 'paid' });
      expect(await order('w-1')).toMatchObject({ status: 'paid' });
      expect(await count(t.db, 'webhook_events', `source = 'woo' AND status = 'deferred'`)).toBe(0);
      // The same bytes under the same topic again are still one event.
      expect((await post('order.created', bytes)).body).toMatchObject({ status: 'duplicate' });
      expect(await bar3()).toEqual({ on_hand: 10, reserved: 1 });
    });
  });

  describe('event ids', () => {
    it('a resend of the same change (same bytes, a later delivery id) is a duplicate', async () => {
      await created('w-1', 'pending');
      const bytes = body('order.updated', { id: 'w-1', status: 'processing' });
      const first = await post('order.updated', bytes, { deliveryId: 'a'.repeat(32) });
      const again = await post('order.updated', bytes, { deliveryId: 'b'.repeat(32) });
      expect(first.body).toMatchObject({ status: 'processed', order_status: 'paid' });
      expect(again.body).toEqual({ event_id: first.body.event_id, status: 'duplicate' });
      expect(await count(t.db, 'webhook_events', `event_type = 'order.updated'`)).toBe(1);
    });

    it('two different changes within the same second, under one delivery id, are two events', async () => {
      await created('w-1', 'processing');
      const sameSecond = { dateModifiedGmt: '2017-03-22T19:30:35' };
      const deliveryId = 'c'.repeat(32);
      const completed = await post('order.updated', body('order.updated', { id: 'w-1', status: 'completed', ...sameSecond }), { deliveryId });
      const refunded = await post('order.updated', body('order.updated', { id: 'w-1', status: 'refunded', ...sameSecond }), { deliveryId });
      expect(completed.body).toMatchObject({ status: 'processed', order_status: 'fulfilled' });
      expect(refunded.body).toMatchObject({ status: 'processed', order_status: 'refunded' });
      expect(refunded.body.event_id).not.toBe(completed.body.event_id);
      expect(await count(t.db, 'webhook_events', `event_type = 'order.updated'`)).toBe(2);
    });
  });

  describe('other topics', () => {
    it('a topic it does not map (order.deleted) is ignored and recorded', async () => {
      await created('w-1', 'processing');
      const res = await post('order.deleted', body('order.updated', { id: 'w-1', status: 'trash' }));
      expect(res.body).toMatchObject({ status: 'ignored', reason: 'unknown_event_type' });
      expect((await order('w-1')).status).toBe('paid');
      expect(await count(t.db, 'webhook_events', `event_type = 'order.deleted'`)).toBe(1);
    });
  });

  describe('signatures and the ping', () => {
    const signatureFailures = async () => sampleOf(await metricsPage(t.url), 'shelfsync_webhook_signature_failures_total{source="woo"}');

    it('the ping sent when a webhook is saved (unsigned, form-encoded webhook_id=<n>) gets 200 and stores nothing', async () => {
      const failuresBefore = await signatureFailures();
      const res = await deliver(t.url, 'webhook_id=12', {
        path: PATH,
        signature: null,
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8', 'user-agent': 'WooCommerce/9.8.0 Hookshot (WordPress/6.8.1)' },
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ignored', reason: 'ping' });
      expect(await count(t.db, 'webhook_events')).toBe(0);
      expect(await signatureFailures()).toBe(failuresBefore);
    });

    it.each([
      ['a form body that is not exactly webhook_id=<digits>', 'webhook_id=12&topic=order.created', 'application/x-www-form-urlencoded'],
      ['webhook_id=<n> declared as JSON', 'webhook_id=12', 'application/json'],
      ['an unsigned order', wooOrderBody(WOO_FIXTURES.created, { id: 'w-1' }).toString(), 'application/json'],
    ])('an unsigned delivery that is not the ping is refused 401: %s', async (_what, text, type) => {
      const res = await deliver(t.url, text, { path: PATH, signature: null, headers: { 'content-type': type, 'x-wc-webhook-topic': 'order.created' } });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error: 'invalid_signature' });
      expect(await count(t.db, 'webhook_events')).toBe(0);
      expect(await count(t.db, 'orders')).toBe(0);
    });

    it('the ping shape with a wrong signature header is refused 401', async () => {
      const res = await deliver(t.url, 'webhook_id=12', {
        path: PATH,
        signature: null,
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-wc-webhook-signature': 'A'.repeat(43) + '=' },
      });
      expect(res.status).toBe(401);
    });

    it('a delivery signed with another secret is refused 401 and changes nothing', async () => {
      const res = await post('order.created', body('order.created', { id: 'w-1', status: 'processing' }), { secret: 'not-the-secret' });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error: 'invalid_signature', message: expect.stringContaining('signature does not match') });
      expect(await count(t.db, 'webhook_events')).toBe(0);
      expect(await bar3()).toEqual({ on_hand: 10, reserved: 0 });
    });

    it('a delivery signed with the older of two rotated secrets is accepted', async () => {
      const res = await post('order.created', body('order.created', { id: 'w-1', status: 'processing' }), { secret: 'old-secret' });
      expect(res.body).toMatchObject({ status: 'processed', order_status: 'paid' });
    });

    it('a body tampered with after signing is refused 401', async () => {
      const signed = body('order.created', { id: 'w-1', status: 'pending' });
      const headers = wooHeaders('order.created', signed, SECRET);
      const res = await deliver(t.url, body('order.created', { id: 'w-1', status: 'completed' }), { path: PATH, signature: null, headers });
      expect(res.status).toBe(401);
      expect(await count(t.db, 'orders')).toBe(0);
    });

    it('a signed delivery without x-wc-webhook-topic is a 400 naming the header', async () => {
      const bytes = body('order.created', { id: 'w-1', status: 'processing' });
      const { 'x-wc-webhook-topic': _topic, ...headers } = wooHeaders('order.created', bytes, SECRET);
      const res = await deliver(t.url, bytes, { path: PATH, signature: null, headers });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ errors: [{ field: 'x-wc-webhook-topic', message: 'x-wc-webhook-topic header is required' }] });
    });
  });

  describe('input rules', () => {
    /** The "Create an order" sample with its billing fields edited in, token for token. */
    const billed = (from: string, to: string) => {
      const text = body('order.created', { id: 'w-1', status: 'processing' }).toString('utf8');
      if (!text.includes(from)) throw new Error(`the sample has no ${from}`);
      return Buffer.from(text.replace(from, to));
    };

    it.each([
      ['a control character', '"john.doe\\u0001@example.com"'],
      ['a NUL', '"john.doe\\u0000@example.com"'],
      ['a lone surrogate', '"john.doe\\ud800@example.com"'],
    ])('a billing email with %s is passed over: the order is kept without an email, never with that text', async (_what, email) => {
      const res = await post('order.created', billed('"john.doe@example.com"', email));
      expect(res.body).toMatchObject({ status: 'processed', order_status: 'paid' });
      expect(await count(t.db, 'orders', `customer_email IS NULL`)).toBe(1);
      expect(await count(t.db, 'orders', `customer_email IS NOT NULL`)).toBe(0);
    });

    it('a billing name with a NUL and a lone surrogate is kept cleaned (it only informs)', async () => {
      const res = await post('order.created', billed('"first_name": "John"', '"first_name": "Jo\\u0000hn\\ud800"'));
      expect(res.body).toMatchObject({ status: 'processed', order_status: 'paid' });
      expect((await order('w-1')).customer_name).toBe('Jo hn\ufffd Doe');
    });

    it.each([
      ['a NUL', '"w-\\u0000"'],
      ['a lone surrogate', '"w-\\ud800"'],
      ['an integer written with an exponent', '1e400'],
      ['numeric text with an exponent', '"1e400"'],
      ['a fraction', '727.5'],
    ])('an order id with %s is a 400 that says what an id is; nothing is stored', async (_what, id) => {
      const text = body('order.created', { status: 'processing' }).toString('utf8').replace('\n  "id": 727,', `\n  "id": ${id},`);
      const res = await post('order.created', Buffer.from(text));
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([
        { field: 'id', message: 'id must be the order id: an integer written in digits, or a string of 1 to 128 characters without control characters (numeric text only as digits: not 1e400 or 1.5)' },
      ]);
      expect(await count(t.db, 'orders')).toBe(0);
    });
  });
});
