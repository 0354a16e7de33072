import { beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import Stripe from 'stripe';
import { ledgerMismatches, resetDatabase, seedStock } from './support/database.js';
import { shopifyFixture, shopifyHmac } from './support/shopify.js';
import { stripeFixture } from './support/stripe-fixtures.js';
import { type Answer, deliver, useTestApp } from './support/test-app.js';
import { WOO_FIXTURES, wooFixtureBytes, wooHeaders } from './support/woocommerce.js';

/**
 * Signed deliveries of every provider with hostile values where the
 * gateways' samples have theirs: strings with NUL, lone surrogates and
 * control characters, numbers no JavaScript number holds (1e400, 2^64, 3e9),
 * nesting past the limit, thousands of lines. Whatever comes in, the service
 * answers below 500, and a 4xx leaves every table as it was.
 */
const SECRETS = { stripe: 'whsec_fuzz_stripe', shopify: 'fuzz-shopify-secret', woocommerce: 'fuzz-woo-secret' };
const stripe = new Stripe('sk_test_x');

/** JSON text written as is where a value goes: what JSON.stringify cannot write (1e400, 2^64 in digits). */
class Raw {
  constructor(readonly text: string) {}
}
type Value = Raw | null | boolean | number | string | Value[] | { [key: string]: Value };

function toJson(value: Value): string {
  if (value instanceof Raw) return value.text;
  if (Array.isArray(value)) return `[${value.map(toJson).join(',')}]`;
  if (value !== null && typeof value === 'object') return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`).join(',')}}`;
  return JSON.stringify(value);
}

/** Every path in a value, containers and leaves, but the root. */
function pathsOf(value: Value, at: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object' || value instanceof Raw) return [];
  const keys: (string | number)[] = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return keys.flatMap((key) => [[...at, key], ...pathsOf((value as Record<string | number, Value>)[key], [...at, key])]);
}

function setAt(root: Value, path: (string | number)[], change: (old: Value) => Value): void {
  let node = root as Record<string | number, Value>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, Value>;
  const last = path[path.length - 1];
  node[last] = change(node[last]);
}

const BAD_CHARS = ['\u0000', '\ud800', '\udfff', '\u0001', '\u0007', '\u001b', '\u007f', '\n', '\t'];
const badChar = fc.constantFrom(...BAD_CHARS);
const badString = fc
  .tuple(fc.string({ maxLength: 12 }), badChar, fc.string({ maxLength: 12 }))
  .map(([a, c, b]) => `${a}${c}${b}`);
const hugeNumber = fc
  .constantFrom(
    '1e400', '-1e400', '1E+400', '1e-400', '9007199254740993', '18446744073709551616', '3000000000', '2147483648',
    '1000000', '1000001', '-1', '-0', '0', '1.5', '1.00000000000000001', '0.30000000000000004', '123456789012345678901234567890.5',
  )
  .map((text) => new Raw(text));
const deepNesting = fc.integer({ min: 30, max: 40 }).map((depth) => new Raw(`${'['.repeat(depth)}${']'.repeat(depth)}`));
const longArray = fc
  .tuple(
    fc.integer({ min: 400, max: 1500 }),
    fc.constantFrom<() => Value>(
      () => ({}),
      () => ({ quantity: 1_000_000, sku: 'A', price: '1.00', restock_type: 'return', line_item: { sku: 'A' } }),
      () => ({ quantity: new Raw('1e400'), sku: '\u0000' }),
    ),
  )
  .map(([length, item]) => Array.from({ length }, item));
const anyValue: fc.Arbitrary<Value> = fc.oneof(
  badString,
  hugeNumber,
  deepNesting,
  longArray,
  fc.constantFrom<Value>(null, true, false, '', ' ', {}, [], 'x'.repeat(300)),
  fc.double().map((n) => (Number.isFinite(n) ? n : 0)),
);

/** Bodies stay below WEBHOOK_BODY_LIMIT (256kb): a larger one is a 413 cut short, not a test of the rules. */
const MAX_BODY = 250_000;

/** One change to a sample: a hostile value put somewhere, or a bad character slipped into one of its strings. */
type Mutation = { path: number; value: Value } | { path: number; inject: string; at: number };
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ path: fc.nat(), value: anyValue }),
  fc.record({ path: fc.nat(), inject: badChar, at: fc.nat() }),
);

function mutated(sample: Value, mutations: Mutation[]): Value {
  const copy = structuredClone(sample);
  for (const m of mutations) {
    const paths = pathsOf(copy);
    if (paths.length === 0) break;
    const path = paths[m.path % paths.length];
    if ('value' in m) setAt(copy, path, () => m.value);
    else setAt(copy, path, (old) => (typeof old === 'string' ? `${old.slice(0, m.at % (old.length + 1))}${m.inject}${old.slice(m.at % (old.length + 1))}` : old));
  }
  return copy;
}

const json = (bytes: Buffer) => JSON.parse(bytes.toString('utf8')) as Value;
const SAMPLES = {
  envelope: [
    {
      event: 'new_order',
      data: {
        order_id: 'o-1',
        customer_name: 'Ada',
        customer_email: 'ada@example.com',
        total_amount: 10,
        currency: 'USD',
        items: [{ sku: 'A', quantity: 1, unit_price: 10 }],
      },
    },
    { event: 'payment_failed', data: { order_id: 'o-1', reason: 'card declined' } },
  ] as Value[],
  stripe: (['payment_intent.succeeded', 'payment_intent.payment_failed', 'checkout.session.completed', 'charge.refunded'] as const).map((type) =>
    json(stripeFixture(type)),
  ),
  shopify: [
    { topic: 'orders/create', body: json(shopifyFixture('orders-create.json')) },
    { topic: 'orders/cancelled', body: json(shopifyFixture('orders-cancelled.json')) },
    { topic: 'refunds/create', body: json(shopifyFixture('refunds-create.json')) },
  ],
  woocommerce: [
    { topic: 'order.created', body: json(wooFixtureBytes(WOO_FIXTURES.created)) },
    { topic: 'order.updated', body: json(wooFixtureBytes(WOO_FIXTURES.updated)) },
  ],
};

type Provider = keyof typeof SAMPLES;
interface Case {
  provider: Provider;
  sample: number;
  mutations: Mutation[];
  /** A fresh event id, so that each run is a new delivery. */
  run: number;
}

describe('fuzzed signed deliveries of every provider', () => {
  const t = useTestApp({
    WEBHOOK_STRIPE_PROVIDER: 'stripe',
    WEBHOOK_STRIPE_SECRET: SECRETS.stripe,
    WEBHOOK_SHOP_PROVIDER: 'shopify',
    WEBHOOK_SHOP_SECRET: SECRETS.shopify,
    WEBHOOK_WOO_PROVIDER: 'woocommerce',
    WEBHOOK_WOO_SECRET: SECRETS.woocommerce,
  });
  beforeAll(async () => {
    await resetDatabase(t.db);
    await seedStock(t.db, { A: 50, IPOD2008BLACK: 50, IPOD2008RED: 50, Bar3: 50 });
  });

  /** Every table a delivery can change, as counts and stock levels. */
  const state = async () =>
    JSON.stringify(
      await t.db.query(
        `SELECT (SELECT count(*) FROM webhook_events) AS events, (SELECT count(*) FROM orders) AS orders,
                (SELECT count(*) FROM order_lines) AS lines, (SELECT count(*) FROM order_status_history) AS history,
                (SELECT count(*) FROM stock_movements) AS movements,
                (SELECT coalesce(string_agg(sku || ':' || on_hand || ':' || reserved, ',' ORDER BY sku), '') FROM stock) AS stock`,
      ),
    );

  /** The case as its gateway would post it, signed; undefined when the body would pass MAX_BODY. */
  function request({ provider, sample, mutations, run }: Case): { body: string; path?: string; headers?: Record<string, string>; signed: boolean } | undefined {
    const samples = SAMPLES[provider];
    const chosen = samples[sample % samples.length];
    let body: string;
    if (provider === 'envelope' || provider === 'stripe') {
      const sampleBody = chosen as Record<string, Value>;
      body = toJson(mutated(provider === 'envelope' ? { id: `fuzz-${run}`, ...sampleBody } : { ...sampleBody, id: `evt_fuzz_${run}` }, mutations));
    } else body = toJson(mutated((chosen as { body: Value }).body, mutations));
    if (Buffer.byteLength(body) > MAX_BODY) return undefined;
    if (provider === 'envelope') return { body, signed: true };
    if (provider === 'stripe') {
      return { body, path: '/webhooks/stripe', headers: { 'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload: body, secret: SECRETS.stripe }) }, signed: false };
    }
    const { topic } = chosen as { topic: string };
    const bytes = Buffer.from(body);
    if (provider === 'shopify') {
      const headers = { 'x-shopify-topic': topic, 'x-shopify-hmac-sha256': shopifyHmac(bytes, SECRETS.shopify), 'x-shopify-event-id': `fuzz-${run}` };
      return { body, path: '/webhooks/shop', headers, signed: false };
    }
    return { body, path: '/webhooks/woo', headers: wooHeaders(topic, bytes, SECRETS.woocommerce), signed: false };
  }

  async function send(c: Case): Promise<Answer | undefined> {
    const r = request(c);
    if (r === undefined) return undefined;
    return deliver(t.url, r.body, { path: r.path, headers: r.headers, ...(r.signed ? {} : { signature: null }) });
  }

  let runs = 0;
  const cases = fc.record({
    provider: fc.constantFrom<Provider>('envelope', 'stripe', 'shopify', 'woocommerce'),
    sample: fc.nat(),
    mutations: fc.array(mutation, { minLength: 1, maxLength: 3 }),
    run: fc.constant(0).map(() => ++runs),
  });

  /**
   * The adversarial run's 500s, each a first example: NUL or a lone
   * surrogate in an id, a name, an email or a failure message; a refund of
   * 3,000 lines of 1,000,000 units; an order id written 1e400.
   */
  const v = (path: number, value: Value): Mutation => ({ path, value });
  const at = (provider: Provider, sample: number, root: Value, path: (string | number)[], value: Value): [Case] => {
    const paths = pathsOf(structuredClone(root)).map((p) => p.join('.'));
    const index = paths.indexOf(path.join('.'));
    if (index < 0) throw new Error(`no ${path.join('.')} in the ${provider} sample`);
    return [{ provider, sample, mutations: [v(index, value)], run: ++runs }];
  };
  const stripeRoot = (i: number) => ({ ...(SAMPLES.stripe[i] as Record<string, Value>), id: 'x' });
  const examples: [Case][] = [
    at('shopify', 0, SAMPLES.shopify[0].body, ['id'], 'o\u0000'),
    at('shopify', 0, SAMPLES.shopify[0].body, ['id'], '\ud800'),
    at('woocommerce', 0, SAMPLES.woocommerce[0].body, ['id'], '\u0000'),
    at('woocommerce', 0, SAMPLES.woocommerce[0].body, ['billing', 'first_name'], 'A\u0000'),
    at('woocommerce', 0, SAMPLES.woocommerce[0].body, ['billing', 'email'], 'a\u0000@example.com'),
    at('woocommerce', 0, SAMPLES.woocommerce[0].body, ['billing', 'email'], 'a\ud800@example.com'),
    at('stripe', 0, stripeRoot(0), ['id'], 'evt_\u0000'),
    at('stripe', 0, stripeRoot(0), ['data', 'object', 'metadata'], { order_id: '\ud800' }),
    at('stripe', 2, stripeRoot(2), ['data', 'object', 'client_reference_id'], 'o\u0000'),
    at('stripe', 3, stripeRoot(3), ['data', 'object', 'payment_intent'], '\ud800'),
    at('stripe', 1, stripeRoot(1), ['data', 'object', 'last_payment_error'], { type: 'card_error', message: 'declined\u0000\ud800' }),
    at('shopify', 2, SAMPLES.shopify[2].body, ['refund_line_items'], Array.from({ length: 3000 }, () => ({
      quantity: 1_000_000,
      restock_type: 'return',
      line_item: { sku: 'A' },
    }))),
    at('shopify', 0, SAMPLES.shopify[0].body, ['id'], new Raw('1e400')),
    at('envelope', 0, { id: 'x', ...(SAMPLES.envelope[0] as Record<string, Value>) }, ['data', 'order_id'], new Raw('1e400')),
  ];

  it('answers every one below 500, and a 4xx changes nothing', async () => {
    const seen: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(cases, async (c) => {
        const before = await state();
        const res = await send(c);
        fc.pre(res !== undefined);
        if (res === undefined) return;
        seen[`${c.provider} ${res.status}`] = (seen[`${c.provider} ${res.status}`] ?? 0) + 1;
        expect(res.status).toBeLessThan(500);
        if (res.status >= 400) expect(await state()).toBe(before);
      }),
      { numRuns: 240, examples, endOnFailure: true },
    );
    // Each provider both refused and accepted some: the runs reached past the first check.
    for (const provider of Object.keys(SAMPLES)) {
      expect(Object.keys(seen).some((k) => k.startsWith(`${provider} 4`))).toBe(true);
      expect(Object.keys(seen).some((k) => k.startsWith(`${provider} 2`))).toBe(true);
    }
    expect(await ledgerMismatches(t.db)).toEqual([]);
  }, 120_000);
});
