import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { readStored } from '../../src/webhooks/providers/provider.js';
import { WooCommerceProvider } from '../../src/webhooks/providers/woocommerce.provider.js';
import { SCHEMES } from '../../src/webhooks/signature/schemes.js';
import { WOO_FIXTURES, wooFixtureBytes, wooHeaders, wooOrderBody, type WooEdits } from '../support/woocommerce.js';
import { refusal } from '../support/refusal.js';

const provider = new WooCommerceProvider();
const SECRET = 'woo-secret';

function read(topic: string, body: Buffer, headers: IncomingHttpHeaders = wooHeaders(topic, body, SECRET)) {
  return readStored(provider, body, headers);
}
const created = (edits: WooEdits = {}) => wooOrderBody(WOO_FIXTURES.created, edits);
const updated = (edits: WooEdits = {}) => wooOrderBody(WOO_FIXTURES.updated, edits);
/** What a delivery asks, in a line: each command's kind or lifecycle event. */
const steps = (topic: string, body: Buffer) => read(topic, body).commands.map((c) => (c.kind === 'lifecycle' ? c.event : c.kind));

function problemsOf(run: () => unknown): unknown {
  const error = refusal(run);
  return { status: error.status, errors: error.errors };
}

describe('WooCommerce provider: the contract\'s mapping, on the docs\' sample orders', () => {
  it.each([
    ['order.created', 'processing', ['create_order', 'payment_succeeded']],
    ['order.created', 'completed', ['create_order', 'payment_succeeded', 'order_fulfilled']],
    ['order.created', 'pending', ['create_order']],
    ['order.created', 'on-hold', ['create_order']],
    ['order.created', 'cancelled', ['create_order', 'order_cancelled']],
    ['order.created', 'failed', ['create_order']],
    ['order.created', 'refunded', ['create_order', 'payment_succeeded']],
    ['order.updated', 'processing', ['edit_order', 'payment_succeeded']],
    ['order.updated', 'completed', ['edit_order', 'payment_succeeded', 'order_fulfilled']],
    ['order.updated', 'cancelled', ['edit_order', 'order_cancelled']],
    ['order.updated', 'refunded', ['edit_order', 'payment_succeeded', 'order_refunded']],
    ['order.updated', 'failed', ['edit_order', 'payment_failed']],
    ['order.updated', 'pending', ['edit_order']],
    ['order.updated', 'on-hold', ['edit_order']],
    ['order.updated', 'trash', ['edit_order']],
    ['order.updated', 'checkout-draft', ['edit_order']],
    ['order.updated', 'a-plugins-own-status', ['edit_order']],
  ])('%s with status %s -> %j', (topic, status, expected) => {
    const body = topic === 'order.created' ? created({ status }) : updated({ status });
    const delivery = read(topic, body);
    expect(steps(topic, body)).toEqual(expected);
    expect(delivery.orderId).toBe('727');
    expect(delivery.ignoredReason).toBeUndefined();
    expect(delivery.commands.every((c) => c.orderId === '727')).toBe(true);
  });

  /** The docs' order 727 as its lines stand: a line without a SKU (2 units at 3) and Bar3 (1 at 12). */
  const LINES_727 = [
    { sku: null, quantity: 2, unitPrice: 3 },
    { sku: 'Bar3', quantity: 1, unitPrice: 12 },
  ];
  const event = (name: string) => ({ kind: 'lifecycle', orderId: '727', event: name, reason: null, restock: false });

  it("order.created of the docs' processing order: create_order with its version (date_modified_gmt), then payment_succeeded", () => {
    expect(read('order.created', wooFixtureBytes(WOO_FIXTURES.created))).toMatchObject({
      orderId: '727',
      commands: [
        { kind: 'create_order', orderId: '727', lines: LINES_727, totalAmount: 29.35, version: '2017-03-22T19:28:08.000Z' },
        event('payment_succeeded'),
      ],
    });
  });

  it("order.updated of the docs' completed order: edit_order (lines, version, total), payment_succeeded, order_fulfilled", () => {
    expect(read('order.updated', wooFixtureBytes(WOO_FIXTURES.updated)).commands).toEqual([
      { kind: 'edit_order', orderId: '727', lines: LINES_727, version: '2017-03-22T19:30:35.000Z', totalAmount: 29.35 },
      event('payment_succeeded'),
      event('order_fulfilled'),
    ]);
  });

  it('order.updated with changed line_items: the whole new list (a quantity changed, lines of one SKU added up, every line gone)', () => {
    const edit = (body: Buffer) => read('order.updated', body).commands[0];
    expect(edit(updated({ status: 'processing', skuLine: { sku: 'Bar3', quantity: 4 } }))).toMatchObject({ kind: 'edit_order', lines: [LINES_727[0], { sku: 'Bar3', quantity: 4 }] });
    expect(edit(updated({ status: 'processing', firstLineSku: 'Bar3' }))).toMatchObject({ kind: 'edit_order', lines: [{ sku: 'Bar3', quantity: 3, unitPrice: null }] });
    const emptied = { ...(JSON.parse(updated({ status: 'processing' }).toString()) as Record<string, unknown>), line_items: [] };
    expect(edit(Buffer.from(JSON.stringify(emptied)))).toEqual({ kind: 'edit_order', orderId: '727', lines: [], version: '2017-03-22T19:30:35.000Z', totalAmount: 29.35 });
  });

  it.each([['order.deleted'], ['order.restored'], ['product.updated'], ['action.woocommerce_add_to_cart']])(
    'topic %s is ignored as an unknown event type',
    (topic) => {
      expect(read(topic, updated())).toMatchObject({ eventType: topic, orderId: null, commands: [], ignoredReason: 'unknown_event_type' });
    },
  );

  it('order.created reads the order as WooCommerce wrote it: customer from billing, total, currency, lines', () => {
    const [creation] = read('order.created', wooFixtureBytes(WOO_FIXTURES.created)).commands;
    expect(creation).toEqual({
      kind: 'create_order',
      orderId: '727',
      customerName: 'John Doe',
      customerEmail: 'john.doe@example.com',
      totalAmount: 29.35,
      currency: 'USD',
      lines: [
        // the docs' own "sku": "" line: kept, with no SKU (it reserves nothing)
        { sku: null, quantity: 2, unitPrice: 3 },
        { sku: 'Bar3', quantity: 1, unitPrice: 12 },
      ],
      version: '2017-03-22T19:28:08.000Z',
    });
  });

  it('a line whose sku is null is kept the same way', () => {
    const [creation] = read('order.created', created({ firstLineSku: null })).commands;
    expect(creation).toMatchObject({ lines: [{ sku: null, quantity: 2 }, { sku: 'Bar3', quantity: 1 }] });
  });

  it('lines of one SKU are added up (their differing prices give no unit price)', () => {
    const [creation] = read('order.created', created({ firstLineSku: 'Bar3' })).commands;
    expect(creation).toMatchObject({ lines: [{ sku: 'Bar3', quantity: 3, unitPrice: null }] });
  });

  it('a 64-bit order id is kept digit for digit, in the command and in the event id', () => {
    const delivery = read('order.created', created({ id: '9007199254740993' }));
    expect(delivery.orderId).toBe('9007199254740993');
    expect(delivery.commands.map((c) => c.orderId)).toEqual(['9007199254740993', '9007199254740993']);
    expect(delivery.eventId).toMatch(/^order\.created:9007199254740993:/);
  });

  it('malformed orders are 400s naming each bad field', () => {
    const body = Buffer.from(
      wooFixtureBytes(WOO_FIXTURES.created)
        .toString()
        .replace('"total": "29.35"', '"total": "-1"')
        .replace('"quantity": 2,', '"quantity": 0,')
        .replace('"currency": "USD"', '"currency": "dollars"'),
    );
    expect(problemsOf(() => read('order.created', body))).toEqual({
      status: 400,
      errors: [
        { field: 'total', message: 'total must be a non-negative decimal amount such as "29.35"' },
        { field: 'currency', message: 'currency must be a 3-letter code' },
        { field: 'line_items[0].quantity', message: 'line_items[0].quantity must be an integer from 1 to 1000000' },
      ],
    });
    expect(problemsOf(() => read('order.updated', Buffer.from('{"status":"processing"}')))).toEqual({
      status: 400,
      errors: [
        { field: 'id', message: 'id must be the order id: an integer written in digits, or a string of 1 to 128 characters without control characters (numeric text only as digits: not 1e400 or 1.5)' },
        { field: 'date_modified_gmt', message: 'date_modified_gmt must be a date and time in GMT, without an offset, such as "2017-03-22T19:30:35"' },
      ],
    });
    expect(problemsOf(() => read('order.updated', Buffer.from('webhook_id=12')))).toMatchObject({ status: 400, errors: [{ field: 'body' }] });
    const { 'x-wc-webhook-topic': _topic, ...untitled } = wooHeaders('order.created', created(), SECRET);
    expect(problemsOf(() => read('order.created', created(), untitled))).toEqual({
      status: 400,
      errors: [{ field: 'x-wc-webhook-topic', message: 'x-wc-webhook-topic header is required' }],
    });
  });
});

describe('WooCommerce event ids', () => {
  it('a resend of the same change is the same event, whatever delivery id it carries', () => {
    const bytes = updated({ status: 'processing' });
    const first = read('order.updated', bytes, wooHeaders('order.updated', bytes, SECRET, { deliveryId: 'a'.repeat(32) }));
    const later = read('order.updated', bytes, wooHeaders('order.updated', bytes, SECRET, { deliveryId: 'b'.repeat(32) }));
    expect(later.eventId).toBe(first.eventId);
  });

  it('two different changes within one second, under one delivery id, are two events', () => {
    const sameSecond = { dateModifiedGmt: '2017-03-22T19:30:35' };
    const headers = (bytes: Buffer) => wooHeaders('order.updated', bytes, SECRET, { deliveryId: 'c'.repeat(32) });
    const completed = updated({ status: 'completed', ...sameSecond });
    const refunded = updated({ status: 'refunded', ...sameSecond });
    expect(read('order.updated', refunded, headers(refunded)).eventId).not.toBe(read('order.updated', completed, headers(completed)).eventId);
  });

  it('the same order posted as order.created and as order.updated is two events', () => {
    const bytes = created();
    expect(read('order.created', bytes).eventId).not.toBe(read('order.updated', bytes).eventId);
  });

  it('names the topic, the order and its modification time, then a digest of the bytes', () => {
    expect(read('order.updated', updated()).eventId).toMatch(/^order\.updated:727:2017-03-22T19:30:35:[0-9a-f]{32}$/);
  });
});

describe('WooCommerce ping (acknowledgesUnverified)', () => {
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  it.each([
    ['webhook_id=12, form-encoded', 'webhook_id=12', form],
    ['with a charset', 'webhook_id=7', { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' }],
    ['without a content type', 'webhook_id=12', {}],
  ])('acknowledges the ping: %s', (_what, text, headers) => {
    expect(provider.acknowledgesUnverified(Buffer.from(text), headers)).toBe(true);
  });

  it.each([
    ['a signature header (then it must verify)', 'webhook_id=12', { ...form, 'x-wc-webhook-signature': 'x' }],
    ['a JSON content type', 'webhook_id=12', { 'content-type': 'application/json' }],
    ['no digits', 'webhook_id=', form],
    ['other than digits', 'webhook_id=abc', form],
    ['another field too', 'webhook_id=12&status=active', form],
    ['a trailing newline', 'webhook_id=12\n', form],
    ['an order', wooFixtureBytes(WOO_FIXTURES.created).toString(), {}],
    ['an empty body', '', form],
  ])('does not acknowledge %s', (_what, text, headers) => {
    expect(provider.acknowledgesUnverified(Buffer.from(text), headers)).toBe(false);
  });
});

describe('the woocommerce signature scheme (x-wc-webhook-signature)', () => {
  const scheme = SCHEMES.woocommerce;
  const clock = { nowSeconds: 1_764_000_000, toleranceSeconds: 300 };
  const body = wooFixtureBytes(WOO_FIXTURES.created);
  const keys = (...secrets: string[]) => secrets.map((s) => scheme.keyOf(s));
  const base64 = (secret: string, bytes: Buffer) => createHmac('sha256', secret).update(bytes).digest('base64');
  const verify = (signature: string, secrets: string[], bytes = body) => scheme.verify(bytes, { 'x-wc-webhook-signature': signature }, keys(...secrets), clock);

  it('verifies what openssl signs: base64 of the binary HMAC-SHA256 of the exact bytes', () => {
    const signature = execFileSync('sh', ['-c', `openssl dgst -sha256 -hmac "$SECRET" -binary | base64`], {
      input: body,
      env: { ...process.env, SECRET },
    })
      .toString()
      .trim();
    expect(verify(signature, [SECRET])).toEqual({ ok: true });
  });

  it.each([
    ['a tampered body', () => verify(base64(SECRET, body), [SECRET], created({ status: 'completed' })), { ok: false, reason: 'signature does not match' }],
    ['another secret', () => verify(base64('not-the-secret', body), [SECRET]), { ok: false, reason: 'signature does not match' }],
    [
      'hex where base64 is due',
      () => verify(createHmac('sha256', SECRET).update(body).digest('hex'), [SECRET]),
      { ok: false, reason: 'x-wc-webhook-signature is not a base64 HMAC-SHA256 (it is hex; this gateway signs in base64)' },
    ],
    ['no header', () => scheme.verify(body, {}, keys(SECRET), clock), { ok: false, reason: 'missing x-wc-webhook-signature header' }],
    ['rotation: signed with the new secret, listed second', () => verify(base64(SECRET, body), ['old-secret', SECRET]), { ok: true }],
    ['rotation: signed with the old secret, listed first', () => verify(base64('old-secret', body), ['old-secret', SECRET]), { ok: true }],
    ['rotation: signed with neither', () => verify(base64('third', body), ['old-secret', SECRET]), { ok: false, reason: 'signature does not match' }],
  ])('%s', (_what, run, verdict) => {
    expect(run()).toEqual(verdict);
  });
});
