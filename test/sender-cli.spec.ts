import { beforeEach, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { resetDatabase, seedStock, stockOf } from './support/database.js';
import { admin, useTestApp, WEBHOOK_SECRET } from './support/test-app.js';

const run = promisify(execFile);
const SOURCES = {
  WEBHOOK_SECRET,
  WEBHOOK_SW_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  WEBHOOK_SW_SCHEME: 'standard-webhooks',
  WEBHOOK_GATEWAY_SECRET: 'whsec_gateway',
  WEBHOOK_GATEWAY_SCHEME: 'stripe',
  WEBHOOK_SHOP_PROVIDER: 'shopify',
  WEBHOOK_SHOP_SECRET: 'shop-secret',
  WEBHOOK_WOO_PROVIDER: 'woocommerce',
  WEBHOOK_WOO_SECRET: 'woo-secret',
  WEBHOOK_STRIPE_PROVIDER: 'stripe',
  WEBHOOK_STRIPE_SECRET: 'whsec_stripe',
  WEBHOOK_PARTNER_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  WEBHOOK_PARTNER_SCHEME: 'standard-webhooks',
};
const FIXTURES = resolve('test/fixtures/gateways');

/** `npm run send -- ...` without the build step: the built CLI, with the same variables as the service. */
async function send(url: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [resolve('dist/src/cli/send.js'), ...args, '--url', url], {
      env: { PATH: process.env.PATH, ...SOURCES },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('npm run send', () => {
  const t = useTestApp(SOURCES);
  beforeEach(async () => {
    await resetDatabase(t.db);
    await seedStock(t.db, { 'SKU-1': 5, IPOD2009BLACK: 5, Bar3: 5 });
  });

  it.each([
    ['the default source (hmac-sha256)', []],
    ['a Standard Webhooks source', ['--source', 'sw']],
    ['a Stripe source', ['--source', 'gateway']],
  ])('signs and posts a new_order and its payment to %s, printing the answers', async (_name, source) => {
    const created = await send(t.url, ['new_order', '--order-id', '42', '--sku', 'SKU-1:2', '--total', '19.5', ...source]);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^POST http:\/\/127\.0\.0\.1:\d+\/webhooks/);
    expect(created.stdout).toMatch(/200 \{"event_id":"evt_[0-9a-f-]+","status":"processed","order_status":"pending"\}/);
    const paid = await send(t.url, ['payment_succeeded', '--order-id', '42', ...source]);
    expect(paid.stdout).toContain('"order_status":"paid"');
    expect(await stockOf(t.db, 'SKU-1')).toEqual({ on_hand: 5, reserved: 2 });
    expect((await admin(t.url, 'GET', '/orders/42')).body).toMatchObject({ status: 'paid', total_amount: 19.5 });
  });

  it('sends the same event id again when told to, and the service drops it', async () => {
    await send(t.url, ['new_order', '--order-id', '7', '--id', 'evt_fixed']);
    const again = await send(t.url, ['new_order', '--order-id', '7', '--id', 'evt_fixed']);
    expect(again.stdout).toContain('{"event_id":"evt_fixed","status":"duplicate"}');
  });

  it('exits 1 and prints the refusal when the service refuses', async () => {
    const refused = await send(t.url, ['new_order', '--order-id', '9', '--secret', 'not-the-secret']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('401 {"statusCode":401,"error":"invalid_signature"');
  });

  it('explains its usage when arguments are missing', async () => {
    const missing = await send(t.url, ['new_order']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--order-id is required');
    expect(missing.stderr).toContain('usage: npm run send');
  });

  it("posts Shopify's sample orders/create as Shopify sends it, a field changed first, a 64-bit id digit for digit", async () => {
    const sent = await send(t.url, [
      'orders/create', '--provider', 'shopify', '--source', 'shop', '--body', `${FIXTURES}/shopify/orders-create.json`, '--set', 'id=9007199254740993',
    ]);
    expect(sent.code).toBe(0);
    expect(sent.stdout).toContain('"order_status":"paid"');
    expect((await admin(t.url, 'GET', '/orders/9007199254740993')).body).toMatchObject({ status: 'paid', items: [expect.objectContaining({ sku: 'IPOD2009BLACK' })] });
    const [logged] = await t.db.query(`SELECT event_type, headers->>'x-shopify-topic' AS topic FROM webhook_events WHERE source = 'shop'`);
    expect(logged).toEqual({ event_type: 'orders/create', topic: 'orders/create' });
  });

  it("posts WooCommerce's sample order as order.created, and Stripe's payment intent paying an order", async () => {
    const woo = await send(t.url, ['order.created', '--provider', 'woocommerce', '--source', 'woo', '--body', `${FIXTURES}/woocommerce/order.created.processing.json`, '--set', 'id="w-9"']);
    expect(woo.stdout).toContain('"order_status":"paid"');
    expect(await stockOf(t.db, 'Bar3')).toEqual({ on_hand: 5, reserved: 1 });

    await send(t.url, ['new_order', '--order-id', '42', '--sku', 'SKU-1:1', '--total', '19.5']);
    const paid = await send(t.url, [
      'payment_intent.succeeded', '--source', 'stripe', '--body', `${FIXTURES}/stripe/payment_intent.succeeded.json`,
      '--set', 'data.object.metadata.order_id="42"', '--set', 'data.object.amount_received=1950', '--id', 'evt_send_1',
    ]);
    expect(paid.stdout).toContain('{"event_id":"evt_send_1","status":"processed","order_status":"paid"}');
  });

  it("runs README's `npm run send` examples as written, in order, none refused", async () => {
    const section = /### Trying an integration: `npm run send`\n([\s\S]*?)\n## /.exec(readFileSync('README.md', 'utf8'))![1];
    const commands = [...section.matchAll(/```sh\n([\s\S]*?)```/g)]
      .flatMap(([, block]) => block.replace(/\\\n\s*/g, ' ').split('\n'))
      .filter((line) => line.includes('npm run send --'));
    expect(commands).toHaveLength(5);
    for (const command of commands) {
      const [assignments, args] = command.split(/\s*npm run send --\s+/);
      // The variables a line sets are the service's here (SOURCES); a value written out must be the same.
      for (const [, name, value] of assignments.matchAll(/(\w+)=(\S+)/g)) {
        expect(`${name}=${value.includes('...') ? SOURCES[name as keyof typeof SOURCES] : value}`).toBe(`${name}=${SOURCES[name as keyof typeof SOURCES]}`);
      }
      const sent = await send(t.url, args.trim().split(/\s+/));
      expect({ command, code: sent.code, stderr: sent.stderr }).toEqual({ command, code: 0, stderr: '' });
      expect(sent.stdout).toMatch(/\n200 \{"event_id":"[^"]+","status":"(processed|ignored)"/);
    }
    // Order 42 is the default source's, paid; the partner source's order is its own; Stripe's payment then finds 42 paid (200, ignored).
    expect((await admin(t.url, 'GET', '/orders/42')).body).toMatchObject({ source: 'default', status: 'paid' });
    expect((await admin(t.url, 'GET', '/orders/43')).body).toMatchObject({ source: 'partner', status: 'pending' });
    expect((await admin(t.url, 'GET', '/orders/9007199254740993')).body).toMatchObject({ status: 'paid' });
  });

  it('refuses a provider the source does not speak, and a gateway payload without --body', async () => {
    const wrong = await send(t.url, ['orders/create', '--provider', 'shopify', '--body', `${FIXTURES}/shopify/orders-create.json`]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('source "default" speaks shelfsync, not shopify');
    const noBody = await send(t.url, ['orders/create', '--source', 'shop']);
    expect(noBody.code).toBe(2);
    expect(noBody.stderr).toContain('--body <file> is required with --provider shopify');
  });
});
