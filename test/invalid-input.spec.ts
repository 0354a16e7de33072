import { beforeEach, describe, expect, it } from '@jest/globals';
import { count, resetDatabase, seedStock, stockOf } from './support/database.js';
import { deliver, sign, useTestApp } from './support/test-app.js';

const order = (data: Record<string, unknown>) =>
  JSON.stringify({ event: 'new_order', data: { order_id: 'o-1', customer_name: 'A', total_amount: 10, ...data } });

describe('malformed deliveries', () => {
  const t = useTestApp();
  beforeEach(async () => {
    await resetDatabase(t.db);
    await seedStock(t.db, { 'SKU-1': 5 });
  });

  async function expectNothingStored(): Promise<void> {
    expect(await count(t.db, 'webhook_events')).toBe(0);
    expect(await count(t.db, 'orders')).toBe(0);
    expect(await stockOf(t.db, 'SKU-1')).toEqual({ on_hand: 5, reserved: 0 });
  }

  const cases: [string, string, string[]][] = [
    ['truncated JSON', '{"event": "new_order", "data": {"order_id": 1', ['body']],
    ['a JSON array', '[1, 2]', ['body']],
    ['no event name', JSON.stringify({ data: {} }), ['event']],
    ['an event name that is not a string', JSON.stringify({ event: 42, data: {} }), ['event']],
    ['no data', JSON.stringify({ event: 'new_order' }), ['data']],
    ['data that is not an object', JSON.stringify({ event: 'new_order', data: 'x' }), ['data']],
    ['a missing order_id', JSON.stringify({ event: 'new_order', data: { customer_name: 'A', total_amount: 1 } }), ['data.order_id']],
    ['wrong types', order({ order_id: true, customer_name: 5, total_amount: '10' }), ['data.order_id', 'data.customer_name', 'data.total_amount']],
    ['a negative total', order({ total_amount: -1 }), ['data.total_amount']],
    ['a zero quantity', order({ items: [{ sku: 'SKU-1', quantity: 0 }] }), ['data.items[0].quantity']],
    ['a negative quantity', order({ items: [{ sku: 'SKU-1', quantity: -2 }] }), ['data.items[0].quantity']],
    ['a fractional quantity', order({ items: [{ sku: 'SKU-1', quantity: 1.5 }] }), ['data.items[0].quantity']],
    ['a line without sku', order({ items: [{ quantity: 1 }] }), ['data.items[0].sku']],
    ['items that are not an array', order({ items: { sku: 'SKU-1' } }), ['data.items']],
    ['a bad currency', order({ currency: 'DOLLARS' }), ['data.currency']],
    ['a bad email', order({ customer_email: 'not-an-email' }), ['data.customer_email']],
    ['a NUL byte in a name', order({ customer_name: 'A\u0000B' }), ['data.customer_name']],
    ['a huge number', order({ total_amount: 1e308 }), ['data.total_amount']],
    ['a tiny number', order({ total_amount: 1e-7 }), ['data.total_amount']],
    ['five decimals', order({ items: [{ sku: 'SKU-1', quantity: 1, unit_price: 1.00001 }] }), ['data.items[0].unit_price']],
    ['a lone surrogate in an id', order({ order_id: 'a\ud800b' }), ['data.order_id']],
    ['an order_id written 1e400', '{"event":"new_order","data":{"order_id":1e400,"customer_name":"A","total_amount":10}}', ['data.order_id']],
    ['an order_id that is a fraction', order({ order_id: 12.5 }), ['data.order_id']],
    ['an order_id that is numeric text 1e400', order({ order_id: '1e400' }), ['data.order_id']],
    ['a payment with a negative amount', JSON.stringify({ event: 'payment_succeeded', data: { order_id: 'o-1', amount: -5 } }), ['data.amount']],
  ];

  it.each(cases)('answers 400 for %s, naming each bad field, and stores nothing', async (_name, body, fields) => {
    const res = await deliver(t.url, body);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_payload');
    const named = (res.body.errors as { field: string }[]).map((e) => e.field);
    expect(new Set(named)).toEqual(new Set(fields));
    for (const field of fields) expect(res.body.message).toContain(field);
    await expectNothingStored();
  });

  it('says what an order id is when it refuses one', async () => {
    const res = await deliver(t.url, '{"event":"new_order","data":{"order_id":1e400,"customer_name":"A","total_amount":10}}');
    expect(res.body.errors).toEqual([
      { field: 'data.order_id', message: 'order_id must be an integer written in digits, or a string of 1 to 128 characters without control characters (numeric text only as digits: not 1e400 or 1.5)' },
    ]);
  });

  it('keeps an integer order_id beyond 2^53 digit for digit, as the gateways do', async () => {
    const res = await deliver(t.url, '{"event":"new_order","data":{"order_id":9007199254740993,"customer_name":"A","total_amount":10}}');
    expect(res.status).toBe(200);
    expect(await count(t.db, 'orders', `order_id = '9007199254740993'`)).toBe(1);
    expect(await count(t.db, 'orders')).toBe(1);
  });

  it('answers 400 for a body that is not UTF-8', async () => {
    const res = await deliver(t.url, Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/UTF-8/);
    await expectNothingStored();
  });

  it('drops __proto__ keys while parsing, so a payload cannot stand in for validated fields', async () => {
    // Were the key kept, class-transformer would give `data` this prototype and its fields would pass for real ones.
    // Literally, and spelt with \u escapes, which JSON.parse turns into the same key.
    for (const key of ['__proto__', '\\u005f_proto__', '__pr\\u006fto__']) {
      const res = await deliver(t.url, `{"event":"new_order","data":{"${key}":{"order_id":"p-1","customer_name":"A","total_amount":1}}}`);
      expect(res.status).toBe(400);
      expect((res.body.errors as { field: string }[]).map((e) => e.field)).toEqual(['data.order_id', 'data.customer_name', 'data.total_amount']);
    }
    await expectNothingStored();
    // That the parser itself keeps no such key, however spelt, is in test/unit/webhook-envelope.unit.ts.
  });

  it('answers 400 for JSON nested deeper than 32 levels, however it is nested', async () => {
    for (const depth of [40, 2000, 5000]) {
      const nested = '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
      const res = await deliver(t.url, `{"event":"new_order","data":{"order_id":"n","customer_name":"A","total_amount":1,"x":${nested}}}`);
      expect(res.status).toBe(400);
    }
    await expectNothingStored();
  });

  it('refuses a compressed body (415): the signature covers the bytes on the wire', async () => {
    const res = await deliver(t.url, order({}), { headers: { 'content-encoding': 'gzip' } });
    expect(res.status).toBe(415);
    expect(res.body.error).toBe('unsupported_media_type');
    await expectNothingStored();
  });

  it('refuses a content-type header that is not a media type (415), naming the header', async () => {
    const res = await deliver(t.url, order({}), { headers: { 'content-type': 'no media type' } });
    expect(res.status).toBe(415);
    expect(res.body).toMatchObject({ error: 'unsupported_media_type', message: expect.stringContaining('content-type') });
    await expectNothingStored();
  });

  it('answers 413 for a chunked body past the limit, which announces no length', async () => {
    const body = order({}).padEnd(300 * 1024, ' ');
    const chunks = new ReadableStream({
      start(controller) {
        for (let at = 0; at < body.length; at += 64 * 1024) controller.enqueue(new TextEncoder().encode(body.slice(at, at + 64 * 1024)));
        controller.close();
      },
    });
    const response = await fetch(`${t.url}/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-signature': sign(body) },
      body: chunks,
      duplex: 'half',
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: 'payload_too_large', message: 'request body exceeds the limit of 256kb' });
    await expectNothingStored();
  });

  it('answers 413 for a 2 MB body and stores nothing', async () => {
    const body = JSON.stringify({ event: 'new_order', data: { order_id: 'big', customer_name: 'x'.repeat(2 * 1024 * 1024), total_amount: 1 } });
    const res = await deliver(t.url, body);
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ error: 'payload_too_large' });
    await expectNothingStored();
  });

  it('keeps answering normally after a run of bad deliveries', async () => {
    for (const [, body] of cases) await deliver(t.url, body);
    const res = await deliver(t.url, order({ items: [{ sku: 'SKU-1', quantity: 1 }] }));
    expect(res.body).toMatchObject({ status: 'processed', order_status: 'pending' });
  });
});

describe('WEBHOOK_BODY_LIMIT', () => {
  const t = useTestApp({ WEBHOOK_BODY_LIMIT: '1kb' });

  it('answers 413 above the configured limit', async () => {
    const small = await deliver(t.url, order({}));
    const large = await deliver(t.url, order({ customer_name: 'x'.repeat(2000) }));
    expect(small.status).toBe(200);
    expect(large.status).toBe(413);
    expect(large.body.message).toContain('1kb');
  });
});
