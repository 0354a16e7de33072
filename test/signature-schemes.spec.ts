import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Webhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { count, resetDatabase } from './support/database.js';
import { deliver, startTestApp, useTestApp, type TestApp } from './support/test-app.js';

const SW_OLD = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const SW_NEW = 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD';
const STRIPE_OLD = 'whsec_stripe_old_secret';
const STRIPE_NEW = 'whsec_stripe_new_secret';
const now = () => Math.floor(Date.now() / 1000);

const body = (orderId: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ type: 'new_order', data: { order_id: orderId, customer_name: 'A', total_amount: 1 }, ...extra });

/** Headers as the Standard Webhooks SDK signs them. */
function swHeaders(payload: string, secret = SW_NEW, options: { id?: string; timestamp?: number } = {}) {
  const id = options.id ?? `msg_${Math.random().toString(36).slice(2)}`;
  const timestamp = options.timestamp ?? now();
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': new Webhook(secret).sign(id, new Date(timestamp * 1000), payload),
  };
}

/** The header as Stripe's SDK signs it. */
function stripeHeader(payload: string, secret = STRIPE_NEW, timestamp = now()) {
  return { 'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp }) };
}

describe('signature schemes', () => {
  const t = useTestApp({
      WEBHOOK_SW_SECRET: `${SW_OLD},${SW_NEW}`,
      WEBHOOK_SW_SCHEME: 'standard-webhooks',
      WEBHOOK_STRIPE_SECRET: `${STRIPE_OLD},${STRIPE_NEW}`,
      WEBHOOK_STRIPE_SCHEME: 'stripe',
    });
  beforeEach(() => resetDatabase(t.db));

  const send = (path: string, payload: string, headers: Record<string, string>) =>
    deliver(t.url, payload, { path, signature: null, headers });

  describe('standard-webhooks', () => {
    it('verifies what the Standard Webhooks SDK signs, and takes webhook-id as the event id', async () => {
      const payload = body('sw-1');
      const headers = swHeaders(payload, SW_NEW, { id: 'msg_sw_1' });
      const res = await send('/webhooks/sw', payload, headers);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ event_id: 'msg_sw_1', status: 'processed', order_status: 'pending' });
      expect((await send('/webhooks/sw', payload, headers)).body.status).toBe('duplicate');
    });

    it('takes two events with the same bytes but different signed ids for two events', async () => {
      const payload = JSON.stringify({ type: 'customer_waved', data: { hello: 'again' } });
      const first = await send('/webhooks/sw', payload, swHeaders(payload, SW_NEW, { id: 'msg_wave_1' }));
      const second = await send('/webhooks/sw', payload, swHeaders(payload, SW_NEW, { id: 'msg_wave_2' }));
      expect([first.body.status, second.body.status]).toEqual(['ignored', 'ignored']);
      expect(await count(t.db, 'webhook_events')).toBe(2);
    });

    it('accepts either secret of a rotation', async () => {
      const a = body('sw-old');
      const b = body('sw-new');
      expect((await send('/webhooks/sw', a, swHeaders(a, SW_OLD))).status).toBe(200);
      expect((await send('/webhooks/sw', b, swHeaders(b, SW_NEW))).status).toBe(200);
    });

    it('accepts a header with several signatures when one of them is right, skipping unknown versions', async () => {
      const payload = body('sw-multi');
      const headers = swHeaders(payload);
      headers['webhook-signature'] = `v2,c29tZXRoaW5n v1,${Buffer.alloc(32).toString('base64')} ${headers['webhook-signature']}`;
      expect((await send('/webhooks/sw', payload, headers)).status).toBe(200);
    });

    it.each([
      ['a tampered body', (p: string) => ({ payload: p.replace('"A"', '"B"'), headers: swHeaders(p) })],
      ['a wrong secret', (p: string) => ({ payload: p, headers: swHeaders(p, 'whsec_' + Buffer.from('wrong').toString('base64')) })],
      ['a stale timestamp', (p: string) => ({ payload: p, headers: swHeaders(p, SW_NEW, { timestamp: now() - 400 }) })],
      ['a future timestamp', (p: string) => ({ payload: p, headers: swHeaders(p, SW_NEW, { timestamp: now() + 400 }) })],
      ['a changed webhook-id', (p: string) => ({ payload: p, headers: { ...swHeaders(p), 'webhook-id': 'msg_other' } })],
      ['a missing webhook-signature', (p: string) => ({ payload: p, headers: { ...swHeaders(p), 'webhook-signature': '' } })],
      ['a missing webhook-timestamp', (p: string) => ({ payload: p, headers: { ...swHeaders(p), 'webhook-timestamp': '' } })],
      ['a signature of an unknown version only', (p: string) => ({ payload: p, headers: { ...swHeaders(p), 'webhook-signature': swHeaders(p)['webhook-signature'].replace('v1,', 'v2,') } })],
      ['a Stripe signature', (p: string) => ({ payload: p, headers: stripeHeader(p) })],
      ['an hmac-sha256 signature', (p: string) => ({ payload: p, headers: { 'x-signature': 'ab'.repeat(32) } })],
    ])('refuses %s with 401 and stores nothing', async (_name, make) => {
      const { payload, headers } = make(body('sw-bad'));
      const res = await send('/webhooks/sw', payload, headers);
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_signature');
      expect(await count(t.db, 'webhook_events')).toBe(0);
    });
  });

  describe('stripe', () => {
    it("verifies what Stripe's SDK signs, taking the body's id as the event id", async () => {
      const payload = body('st-1', { id: 'evt_stripe_1' });
      const res = await send('/webhooks/stripe', payload, stripeHeader(payload));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ event_id: 'evt_stripe_1', status: 'processed' });
      expect((await send('/webhooks/stripe', payload, stripeHeader(payload))).body.status).toBe('duplicate');
    });

    it('uses the whsec_ secret as the literal string (not base64-decoded), and accepts either secret of a rotation', async () => {
      const a = body('st-old');
      const b = body('st-new');
      expect((await send('/webhooks/stripe', a, stripeHeader(a, STRIPE_OLD))).status).toBe(200);
      expect((await send('/webhooks/stripe', b, stripeHeader(b, STRIPE_NEW))).status).toBe(200);
    });

    it('accepts several v1 signatures when one is right', async () => {
      const payload = body('st-multi');
      const signed = stripeHeader(payload)['stripe-signature'];
      const header = signed.replace(',v1=', `,v1=${'0'.repeat(64)},v1=`);
      expect((await send('/webhooks/stripe', payload, { 'stripe-signature': header })).status).toBe(200);
    });

    it.each([
      ['a tampered body', (p: string) => ({ payload: p.replace('"A"', '"B"'), headers: stripeHeader(p) })],
      ['a wrong secret', (p: string) => ({ payload: p, headers: stripeHeader(p, 'whsec_wrong') })],
      ['a stale timestamp', (p: string) => ({ payload: p, headers: stripeHeader(p, STRIPE_NEW, now() - 400) })],
      ['a future timestamp', (p: string) => ({ payload: p, headers: stripeHeader(p, STRIPE_NEW, now() + 400) })],
      ['a missing header', (p: string) => ({ payload: p, headers: {} })],
      ['a header without t', (p: string) => ({ payload: p, headers: { 'stripe-signature': stripeHeader(p)['stripe-signature'].replace(/^t=\d+,/, '') } })],
      ['a v0 signature only', (p: string) => ({ payload: p, headers: { 'stripe-signature': stripeHeader(p)['stripe-signature'].replace('v1=', 'v0=') } })],
      ['a Standard Webhooks signature', (p: string) => ({ payload: p, headers: swHeaders(p) })],
    ])('refuses %s with 401', async (_name, make) => {
      const { payload, headers } = make(body('st-bad'));
      const res = await send('/webhooks/stripe', payload, headers);
      expect(res.status).toBe(401);
      expect(await count(t.db, 'webhook_events')).toBe(0);
    });
  });

  it('reads Svix\'s svix-* header names as Standard Webhooks, svix-id as the event id', async () => {
    const payload = body('svix-1');
    const signed = swHeaders(payload, SW_NEW, { id: 'msg_svix_1' });
    const headers = { 'svix-id': signed['webhook-id'], 'svix-timestamp': signed['webhook-timestamp'], 'svix-signature': signed['webhook-signature'] };
    const res = await send('/webhooks/sw', payload, headers);
    expect(res.body).toMatchObject({ event_id: 'msg_svix_1', status: 'processed' });
  });

  it('never tells a caller the signature it expected', async () => {
    const payload = body('oracle');
    const right = Stripe.webhooks.generateTestHeaderString({ payload, secret: STRIPE_NEW, timestamp: now() });
    const expectedHex = right.split('v1=')[1];
    const res = await send('/webhooks/stripe', payload, { 'stripe-signature': right.replace(/v1=.*/, `v1=${'0'.repeat(64)}`) });
    expect(res.status).toBe(401);
    expect(JSON.stringify(res.body)).not.toContain(expectedHex);
  });

  it('answers 404 for /webhooks/default: the default source has one address', async () => {
    const payload = body('default');
    expect((await deliver(t.url, payload, { path: '/webhooks/default' })).status).toBe(404);
  });

  it('keeps duplicates per source: one event id on two sources is two events', async () => {
    const payload = body('per-source', { id: 'evt_shared' });
    expect((await send('/webhooks/stripe', payload, stripeHeader(payload))).body.status).toBe('processed');
    const viaDefault = await deliver(t.url, payload);
    // two events, and (orders belonging to their source) each source's own order
    expect(viaDefault.body).toMatchObject({ event_id: 'evt_shared', status: 'processed', order_status: 'pending' });
    expect(await count(t.db, 'webhook_events')).toBe(2);
    expect(await count(t.db, 'orders')).toBe(2);
  });
});

describe('timestamp tolerance and sources with several schemes', () => {
  let t: TestApp;
  const MULTI = 'whsec_' + Buffer.from('sixteen-or-more-random-bytes').toString('base64');

  beforeAll(async () => {
    t = await startTestApp({
      WEBHOOK_TOLERANCE_SECONDS: '60',
      WEBHOOK_MULTI_SECRET: MULTI,
      WEBHOOK_MULTI_SCHEME: 'stripe,standard-webhooks',
    });
  });
  afterAll(() => t.close());

  const send = (payload: string, headers: Record<string, string>) => deliver(t.url, payload, { path: '/webhooks/multi', signature: null, headers });

  it.each([
    [-50, 200],
    [-70, 401],
    [50, 200],
    [70, 401],
  ])('with WEBHOOK_TOLERANCE_SECONDS=60, a timestamp %i s away answers %i', async (offset, status) => {
    const payload = body(`tol${offset}`);
    expect((await send(payload, stripeHeader(payload, MULTI, now() + offset))).status).toBe(status);
  });

  it('accepts any of the schemes a source names, each with its own reading of the secret', async () => {
    const a = body('multi-stripe');
    const b = body('multi-sw');
    expect((await send(a, stripeHeader(a, MULTI))).status).toBe(200);
    expect((await send(b, swHeaders(b, MULTI))).status).toBe(200);
    const refused = await send(b, { 'x-signature': 'ab'.repeat(32) });
    expect(refused.status).toBe(401);
    expect(refused.body.message).toMatch(/stripe: .*; standard-webhooks: /);
  });
});
