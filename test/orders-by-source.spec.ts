import { beforeEach, describe, expect, it } from '@jest/globals';
import Stripe from 'stripe';
import { count, ledgerMismatches, resetDatabase, seedStock, stockOf } from './support/database.js';
import { editedShopifyFixture, shopifyHmac } from './support/shopify.js';
import { stripeEvent } from './support/stripe-fixtures.js';
import { admin, type Answer, deliver, useTestApp } from './support/test-app.js';
import { WOO_FIXTURES, wooHeaders, wooOrderBody } from './support/woocommerce.js';

/**
 * Orders belong to their source (contract, "Orders belong to their source"):
 * a Shopify store and a WooCommerce site, each with its own ids, behind one
 * shelfsync, and Stripe paying for their orders. The id 424242356 is used by
 * both stores, as the issue found it.
 */
const SHOP_SECRET = 'shpss_orders_by_source';
const WOO_SECRET = 'woo orders by source';
const STRIPE_SECRET = 'whsec_orders_by_source';
const stripe = new Stripe('sk_test_x');
const SHARED_ID = '424242356';

let sequence = 0;

/** Shopify's sample new order (orders-create.json: one unit of IPOD2009BLACK), as order `id` with `units` of it. */
function shopifyCreated(id: string, units: number): Buffer {
  return editedShopifyFixture('orders-create.json', [
    ['"id": 1073459966,', `"id": ${id},`],
    ['"financial_status": "paid"', '"financial_status": "pending"'],
    ['"quantity": 1,\n      "requires_shipping": true,\n      "sku": "IPOD2009BLACK"', `"quantity": ${units},\n      "requires_shipping": true,\n      "sku": "IPOD2009BLACK"`],
  ]);
}

function describeStores(env: Record<string, string>, body: (t: ReturnType<typeof useTestApp>) => void): void {
  const t = useTestApp({
    WEBHOOK_SHOP_PROVIDER: 'shopify',
    WEBHOOK_SHOP_SECRET: SHOP_SECRET,
    WEBHOOK_WOO_PROVIDER: 'woocommerce',
    WEBHOOK_WOO_SECRET: WOO_SECRET,
    WEBHOOK_STRIPE_PROVIDER: 'stripe',
    WEBHOOK_STRIPE_SECRET: STRIPE_SECRET,
    ...env,
  });
  beforeEach(async () => {
    await resetDatabase(t.db);
    // Shopify's line is IPOD2009BLACK; WooCommerce's sample line with a SKU is Bar3.
    await seedStock(t.db, { IPOD2009BLACK: 10, Bar3: 10 });
  });
  body(t);
}

const shopify = (t: { url: string }, topic: string, bytes: Buffer): Promise<Answer> => {
  sequence += 1;
  return deliver(t.url, bytes, {
    path: '/webhooks/shop',
    signature: null,
    headers: { 'x-shopify-topic': topic, 'x-shopify-hmac-sha256': shopifyHmac(bytes, SHOP_SECRET), 'x-shopify-event-id': `ev-source-${sequence}` },
  });
};
const woo = (t: { url: string }, topic: 'order.created' | 'order.updated', id: string, status: string): Promise<Answer> => {
  const bytes = wooOrderBody(topic === 'order.created' ? WOO_FIXTURES.created : WOO_FIXTURES.updated, { id, status, skuLine: { sku: 'Bar3', quantity: 2 } });
  return deliver(t.url, bytes, { path: '/webhooks/woo', signature: null, headers: wooHeaders(topic, bytes, WOO_SECRET) });
};
/** Stripe's sample payment_intent.succeeded for `orderId`, of 10,000 USD (covers either sample order), signed by Stripe's SDK. */
const stripePayment = (t: { url: string }, orderId: string): Promise<Answer> => {
  sequence += 1;
  const bytes = stripeEvent('payment_intent.succeeded', (e) => {
    e.id = `evt_source_${sequence}`;
    e.data.object.id = `pi_source_${sequence}`;
    e.data.object.metadata = { order_id: orderId };
    e.data.object.amount = 1_000_000;
    e.data.object.amount_received = 1_000_000;
    e.data.object.currency = 'usd';
  });
  return deliver(t.url, bytes, {
    path: '/webhooks/stripe',
    signature: null,
    headers: { 'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload: bytes.toString('utf8'), secret: STRIPE_SECRET }) },
  });
};
const ordersOf = async (t: { db: { query: (sql: string, params: unknown[]) => Promise<unknown> } }, orderId: string) =>
  t.db.query(`SELECT source, status::text, needs_attention FROM orders WHERE order_id = $1 ORDER BY source`, [orderId]);

describe('orders of two stores with the same id', () => {
  describeStores({}, (t) => {
    it("a WooCommerce cancellation never reaches the Shopify order of the same id: it waits for WooCommerce's own", async () => {
      expect((await shopify(t, 'orders/create', shopifyCreated(SHARED_ID, 3))).body).toMatchObject({ status: 'processed', order_status: 'pending' });
      const cancel = await woo(t, 'order.updated', SHARED_ID, 'cancelled');
      expect(cancel.body).toMatchObject({ status: 'deferred', reason: 'order_not_found' });
      expect(await ordersOf(t, SHARED_ID)).toEqual([{ source: 'shop', status: 'pending', needs_attention: false }]);
      expect(await stockOf(t.db, 'IPOD2009BLACK')).toEqual({ on_hand: 10, reserved: 3 });

      // WooCommerce's own order of that id comes: it reserves its units, and the cancellation that waited for it applies to it alone
      expect((await woo(t, 'order.created', SHARED_ID, 'pending')).body).toMatchObject({ status: 'processed', order_status: 'cancelled' });
      expect(await ordersOf(t, SHARED_ID)).toEqual([
        { source: 'shop', status: 'pending', needs_attention: false },
        { source: 'woo', status: 'cancelled', needs_attention: false },
      ]);
      expect(await stockOf(t.db, 'IPOD2009BLACK')).toEqual({ on_hand: 10, reserved: 3 });
      expect(await stockOf(t.db, 'Bar3')).toEqual({ on_hand: 10, reserved: 0 });
      expect(await ledgerMismatches(t.db)).toEqual([]);
    });

    it('a Shopify order whose id WooCommerce used first is created and reserves its own units', async () => {
      expect((await woo(t, 'order.created', SHARED_ID, 'processing')).body).toMatchObject({ status: 'processed', order_status: 'paid' });
      const created = await shopify(t, 'orders/create', shopifyCreated(SHARED_ID, 2));
      expect(created.body).toMatchObject({ status: 'processed', order_status: 'pending' });
      expect(await stockOf(t.db, 'IPOD2009BLACK')).toEqual({ on_hand: 10, reserved: 2 });
      expect(await stockOf(t.db, 'Bar3')).toEqual({ on_hand: 10, reserved: 2 });
      // each order's lines, history and ledger rows name its source
      expect(await count(t.db, 'order_lines', `order_source = 'shop' AND order_id = $1 AND sku = 'IPOD2009BLACK'`, [SHARED_ID])).toBe(1);
      expect(await count(t.db, 'stock_movements', `order_source = 'shop' AND order_id = $1 AND sku = 'IPOD2009BLACK'`, [SHARED_ID])).toBe(1);
      expect(await count(t.db, 'stock_movements', `order_source = 'woo' AND order_id = $1 AND sku = 'Bar3'`, [SHARED_ID])).toBe(1);
      expect(await count(t.db, 'order_status_history', `order_source = 'woo' AND order_id = $1`, [SHARED_ID])).toBe(2);
      expect(await count(t.db, 'order_status_history', `order_source = 'shop' AND order_id = $1`, [SHARED_ID])).toBe(1);
    });

    it('a Stripe payment for an id both stores have pays neither: ambiguous_order', async () => {
      await woo(t, 'order.created', SHARED_ID, 'pending');
      await shopify(t, 'orders/create', shopifyCreated(SHARED_ID, 1));
      const paid = await stripePayment(t, SHARED_ID);
      expect(paid.body).toMatchObject({ status: 'ignored', reason: 'ambiguous_order: shop, woo' });
      expect(await ordersOf(t, SHARED_ID)).toEqual([
        { source: 'shop', status: 'pending', needs_attention: false },
        { source: 'woo', status: 'pending', needs_attention: false },
      ]);
      // an id only one of them has is paid as before
      await woo(t, 'order.created', '77', 'pending');
      expect((await stripePayment(t, '77')).body).toMatchObject({ status: 'processed', order_status: 'paid' });
    });

    it('GET /orders/:order_id answers 409 naming the sources when several have the id, and ?source= picks one', async () => {
      await woo(t, 'order.created', SHARED_ID, 'processing');
      await shopify(t, 'orders/create', shopifyCreated(SHARED_ID, 1));
      const both = await admin(t.url, 'GET', `/orders/${SHARED_ID}`);
      expect(both.status).toBe(409);
      expect(both.body).toMatchObject({ error: 'ambiguous_order' });
      expect(String((both.body as { message: string }).message)).toContain('"shop", "woo"');

      expect((await admin(t.url, 'GET', `/orders/${SHARED_ID}?source=woo`)).body).toMatchObject({ source: 'woo', order_id: SHARED_ID, status: 'paid' });
      expect((await admin(t.url, 'GET', `/orders/${SHARED_ID}?source=shop`)).body).toMatchObject({
        source: 'shop',
        status: 'pending',
        items: [{ sku: 'IPOD2009BLACK', quantity: 1 }],
      });
      expect((await admin(t.url, 'GET', `/orders/${SHARED_ID}?source=stripe`)).status).toBe(404);
      const bad = await admin(t.url, 'GET', `/orders/${SHARED_ID}?source=Not%20a%20source`);
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.body)).toContain('source');

      const woos = await admin(t.url, 'GET', '/orders?source=woo');
      expect((woos.body as { items: { source: string; order_id: string }[] }).items).toEqual([expect.objectContaining({ source: 'woo', order_id: SHARED_ID })]);
    });
  });
});

describe('a payment provider reaches the sources it pays for (WEBHOOK_<NAME>_ORDERS_FROM)', () => {
  describeStores({ WEBHOOK_STRIPE_ORDERS_FROM: 'shop' }, (t) => {
    it('pays the Shopify order of an id both stores have, and never a WooCommerce order', async () => {
      await woo(t, 'order.created', SHARED_ID, 'pending');
      await shopify(t, 'orders/create', shopifyCreated(SHARED_ID, 1));
      expect((await stripePayment(t, SHARED_ID)).body).toMatchObject({ status: 'processed', order_status: 'paid' });
      expect(await ordersOf(t, SHARED_ID)).toEqual([
        { source: 'shop', status: 'paid', needs_attention: false },
        { source: 'woo', status: 'pending', needs_attention: false },
      ]);
      // a WooCommerce order alone is not Stripe's to pay: the payment waits for a Shopify order of that id
      await woo(t, 'order.created', '88', 'pending');
      expect((await stripePayment(t, '88')).body).toMatchObject({ status: 'deferred', reason: 'order_not_found' });
      expect(await ordersOf(t, '88')).toEqual([{ source: 'woo', status: 'pending', needs_attention: false }]);
    });
  });
});
