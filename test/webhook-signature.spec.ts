import { beforeEach, describe, expect, it } from '@jest/globals';
import { count, resetDatabase } from './support/database.js';
import { deliver, sign, useTestApp } from './support/test-app.js';

const SEED = '{"event": "new_order", "data": {"order_id": 12345, "customer_name": "John Doe", "total_amount": 100.00}}';

describe('POST /webhooks signature (hmac-sha256)', () => {
  const t = useTestApp({ WEBHOOK_SECRET: 'old-secret, current-secret' });
  beforeEach(() => resetDatabase(t.db));

  it('accepts the gateway example payload byte for byte and creates the order', async () => {
    const res = await deliver(t.url, SEED, { secret: 'current-secret' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'processed', order_status: 'pending' });
    expect(res.body.event_id).toMatch(/^sha256:[0-9a-f]{64}$/);
    const [order] = await t.db.query(`SELECT * FROM orders WHERE order_id = '12345'`);
    expect(order).toMatchObject({ status: 'pending', customer_name: 'John Doe', total_amount: '100.0000', currency: 'USD' });
    const [event] = await t.db.query(`SELECT raw_body, headers, status FROM webhook_events`);
    expect(event.raw_body.toString('utf8')).toBe(SEED);
    expect(event.headers['x-signature']).toBeDefined();
    expect(event.status).toBe('processed');
  });

  it('accepts a `sha256=` prefix on the signature', async () => {
    const res = await deliver(t.url, SEED, { signature: `sha256=${sign(SEED, 'current-secret')}` });
    expect(res.status).toBe(200);
  });

  it('verifies the raw bytes as sent, unusual whitespace included', async () => {
    const body = '{\n\t"event" :  "new_order",\r\n  "data":{ "order_id":"ws-1" ,"customer_name":"A",   "total_amount": 1.5 }\n}\n\n';
    const res = await deliver(t.url, body, { secret: 'current-secret' });
    expect(res.status).toBe(200);
    expect(await count(t.db, 'orders', `order_id = 'ws-1'`)).toBe(1);
  });

  it('refuses a signature computed over a re-serialised body', async () => {
    const body = '{ "event": "new_order", "data": { "order_id": "rs-1", "customer_name": "A", "total_amount": 1 } }';
    const reserialised = JSON.stringify(JSON.parse(body));
    const res = await deliver(t.url, body, { signature: sign(reserialised, 'current-secret') });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: 'invalid_signature' });
    expect(await count(t.db, 'orders')).toBe(0);
    expect(await count(t.db, 'webhook_events')).toBe(0);
  });

  it('refuses a missing signature with 401 and stores nothing', async () => {
    const res = await deliver(t.url, SEED, { signature: null });
    expect(res.status).toBe(401);
    expect(res.body.message).toMatch(/missing x-signature/);
    expect(await count(t.db, 'webhook_events')).toBe(0);
  });

  it('refuses a wrong secret, a malformed signature and a tampered body', async () => {
    const wrong = await deliver(t.url, SEED, { secret: 'not-the-secret' });
    const malformed = await deliver(t.url, SEED, { signature: 'zz-not-hex' });
    const tampered = await deliver(t.url, SEED.replace('100.00', '1.00'), { signature: sign(SEED, 'current-secret') });
    expect([wrong.status, malformed.status, tampered.status]).toEqual([401, 401, 401]);
    expect(await count(t.db, 'orders')).toBe(0);
  });

  it('accepts every secret of a rotation (comma-separated WEBHOOK_SECRET)', async () => {
    const a = await deliver(t.url, SEED, { secret: 'old-secret' });
    const b = await deliver(t.url, SEED.replace('12345', '12346'), { secret: 'current-secret' });
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(await count(t.db, 'orders')).toBe(2);
  });

  it('answers 404 for a source that is not configured, before looking at the signature', async () => {
    const res = await deliver(t.url, SEED, { path: '/webhooks/unknown', secret: 'current-secret' });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ error: 'unknown_source' });
  });

  it('does not leak the secret in error bodies', async () => {
    const res = await deliver(t.url, SEED, { secret: 'nope' });
    expect(JSON.stringify(res.body)).not.toMatch(/current-secret|old-secret/);
  });
});

describe('named sources', () => {
  const t = useTestApp({ WEBHOOK_SHOP_EU_SECRET: 'eu-secret' });
  beforeEach(() => resetDatabase(t.db));

  it('serves WEBHOOK_<NAME>_SECRET at /webhooks/<name> with its own secret only', async () => {
    const ok = await deliver(t.url, SEED, { path: '/webhooks/shop_eu', secret: 'eu-secret' });
    const wrongSecret = await deliver(t.url, SEED, { path: '/webhooks/shop_eu' });
    expect(ok.status).toBe(200);
    expect(wrongSecret.status).toBe(401);
    const [event] = await t.db.query(`SELECT source FROM webhook_events`);
    expect(event.source).toBe('shop_eu');
  });
});
