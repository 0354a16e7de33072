import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { ledgerMismatches, lineLedgerBreaches, resetDatabase, seedStock, stockOf } from './support/database.js';
import { shopifyFixture, shopifyHmac } from './support/shopify.js';
import { admin, type Answer, deliver, useTestApp } from './support/test-app.js';
import { WOO_FIXTURES, wooHeaders, wooOrderBody } from './support/woocommerce.js';

const SHOP_SECRET = 'shpss_order_changes_secret';
const WOO_SECRET = 'woo-order-changes-secret';

/**
 * Orders after they are placed (issue 23), sent as the gateways send them:
 * Shopify's and WooCommerce's published samples (test/fixtures/gateways/
 * README.md), edited on their text only where a test names its order's
 * lines (quantities, an added line item), its fulfillments, its state
 * (financial_status, fulfillment_status) and its version (updated_at,
 * date_modified_gmt), posted with the gateway's headers and signature.
 */

/** Shopify's order #1001 and its three line items, by SKU. */
const ORDER_1001 = '450789469';
const LINE_ITEM = { IPOD2008GREEN: '466157049', IPOD2008RED: '518995019', IPOD2008BLACK: '703073504' } as const;
type SampleSku = keyof typeof LINE_ITEM;
/** The line item id an added product gets: the crafty_shoes_red line of fulfillments-create.json (as orders-edited.constructed.json adds it). */
const ADDED_LINE_ITEM = '1071823206';
const ADDED_SKU = 'IPOD2008BLUE';

/** The text between `start` and `end` (both excluded), where `start` is first found; fails when either is missing. */
function between(text: string, start: string, end: string): { before: string; inner: string; after: string } {
  const from = text.indexOf(start);
  if (from < 0) throw new Error(`no ${JSON.stringify(start)} in the sample`);
  const to = text.indexOf(end, from + start.length);
  if (to < 0) throw new Error(`no ${JSON.stringify(end)} after ${JSON.stringify(start)} in the sample`);
  return { before: text.slice(0, from + start.length), inner: text.slice(from + start.length, to), after: text.slice(to) };
}

/** Replaces the one match of `pattern` in `text` (a sample field the test names); fails unless there is exactly one. */
function replaceOne(text: string, pattern: RegExp, to: string): string {
  const found = text.match(new RegExp(pattern.source, 'g')) ?? [];
  if (found.length !== 1) throw new Error(`${pattern.source} is in the sample ${found.length} times, not once`);
  return text.replace(pattern, to);
}

/** A parcel: a Shopify fulfillment's id, status and units per SKU. */
interface ShopifyParcel {
  id: string;
  status?: string;
  lines: [SampleSku | typeof ADDED_SKU, number][];
}

/**
 * What an Order body of #1001 says, for the fields a test names. `lines`:
 * per sample line item, [quantity, current_quantity] (Shopify's `quantity`
 * is what was first ordered and never changes; `current_quantity` is what is
 * ordered now); absent, the line as ordered at creation. `added`: a product
 * added by an edit, a new line item. `parcels`: the order's `fulfillments`
 * (absent: as published).
 */
interface ShopifyOrderState {
  file: 'order-450789469.json' | 'orders-updated.json' | 'orders-partially-fulfilled.derived.json' | 'orders-cancelled.json';
  lines: Record<SampleSku, [quantity: number, current?: number]>;
  added?: number;
  financial: 'pending' | 'paid';
  fulfillment?: 'partial' | 'fulfilled';
  updatedAt?: string;
  parcels?: ShopifyParcel[];
}

const lineItemIdOf = (sku: SampleSku | typeof ADDED_SKU) => (sku === ADDED_SKU ? ADDED_LINE_ITEM : LINE_ITEM[sku]);

/** One fulfillment of the order's `fulfillments`, made from the sample's fulfillment 255858046 (and its copy of a line item). */
function fulfillmentText(template: string, parcel: ShopifyParcel): string {
  const items = between(template, '\n      "line_items": [\n', '\n      ]\n');
  const lineCopies = parcel.lines.map(([sku, units]) => {
    let line = items.inner;
    line = replaceOne(line, /\n {10}"id": \d+,/, `\n          "id": ${lineItemIdOf(sku)},`);
    line = replaceOne(line, /"gid:\/\/shopify\/LineItem\/\d+"/, `"gid://shopify/LineItem/${lineItemIdOf(sku)}"`);
    line = replaceOne(line, /\n {10}"quantity": \d+,/, `\n          "quantity": ${units},`);
    line = replaceOne(line, /\n {10}"sku": "[^"]*",/, `\n          "sku": "${sku}",`);
    return line;
  });
  let text = `${items.before}${lineCopies.join(',\n')}${items.after}`;
  text = replaceOne(text, /\n {6}"id": 255858046,/, `\n      "id": ${parcel.id},`);
  text = replaceOne(text, /"gid:\/\/shopify\/Fulfillment\/255858046"/, `"gid://shopify/Fulfillment/${parcel.id}"`);
  text = replaceOne(text, /\n {6}"status": "[a-z]+",/, `\n      "status": "${parcel.status ?? 'success'}",`);
  return text;
}

/** The Order body of #1001 in the state given, from the sample `state.file`, edited on its text only. */
function shopifyOrder(state: ShopifyOrderState): Buffer {
  let text = shopifyFixture(state.file).toString('utf8');
  const shipped = new Map<string, number>();
  for (const parcel of state.parcels ?? []) {
    if ((parcel.status ?? 'success') !== 'success') continue;
    for (const [sku, units] of parcel.lines) shipped.set(sku, (shipped.get(sku) ?? 0) + units);
  }
  const lineItems = between(text, '\n  "line_items": [\n', '\n  ],\n  "payment_terms"');
  const blockOf = (id: string) => between(lineItems.inner, `    {\n      "id": ${id},`, '\n    }').inner;
  let lines = lineItems.inner;
  const edited = (block: string, sku: string, quantity: number, current: number) => {
    let line = block;
    line = replaceOne(line, /\n {6}"current_quantity": \d+,\n {6}"fulfillable_quantity": \d+,/,
      `\n      "current_quantity": ${current},\n      "fulfillable_quantity": ${Math.max(current - (shipped.get(sku) ?? 0), 0)},`);
    line = replaceOne(line, /\n {6}"quantity": \d+,/, `\n      "quantity": ${quantity},`);
    return line;
  };
  for (const sku of Object.keys(LINE_ITEM) as SampleSku[]) {
    const [quantity, current = quantity] = state.lines[sku];
    const block = blockOf(LINE_ITEM[sku]);
    lines = lines.replace(block, edited(block, sku, quantity, current));
  }
  if (state.added !== undefined) {
    // a product added by an edit is a new line item (a copy of BLACK's, naming the new one)
    let line = edited(blockOf(LINE_ITEM.IPOD2008BLACK), ADDED_SKU, state.added, state.added);
    line = line.replace(`"gid://shopify/LineItem/${LINE_ITEM.IPOD2008BLACK}"`, `"gid://shopify/LineItem/${ADDED_LINE_ITEM}"`);
    line = replaceOne(line, /\n {6}"sku": "IPOD2008BLACK",/, `\n      "sku": "${ADDED_SKU}",`);
    lines = `${lines},\n    {\n      "id": ${ADDED_LINE_ITEM},${line}\n    }`;
  }
  text = `${lineItems.before}${lines}${lineItems.after}`;

  if (state.parcels) {
    const fulfillments = between(text, '\n  "fulfillments": [\n', '\n  ],\n  "line_items": [');
    text = `${fulfillments.before}${state.parcels.map((parcel) => fulfillmentText(fulfillments.inner, parcel)).join(',\n')}${fulfillments.after}`;
  }
  text = replaceOne(text, /\n {2}"financial_status": "[a-z_]+",/, `\n  "financial_status": "${state.financial}",`);
  text = replaceOne(text, /\n {2}"fulfillment_status": (null|"[a-z]+"),\n {2}"landing_site"/, `\n  "fulfillment_status": ${JSON.stringify(state.fulfillment ?? null)},\n  "landing_site"`);
  if (state.updatedAt) text = replaceOne(text, /\n {2}"updated_at": "[^"]+",\n {2}"user_id"/, `\n  "updated_at": "${state.updatedAt}",\n  "user_id"`);
  return Buffer.from(text, 'utf8');
}

/** Shopify's fulfillments/create body (fulfillment 1069019868), naming #1001, with the parcel's id and lines. */
function shopifyFulfillment(parcel: ShopifyParcel): Buffer {
  const text = shopifyFixture('fulfillments-create.json').toString('utf8');
  const items = between(text, '\n  "line_items": [\n', '\n  ],\n  "tracking_number"');
  const lineCopies = parcel.lines.map(([sku, units]) => {
    let line = items.inner;
    line = replaceOne(line, /\n {6}"id": 1071823206,/, `\n      "id": ${lineItemIdOf(sku)},`);
    line = replaceOne(line, /"gid:\/\/shopify\/LineItem\/1071823206"/, `"gid://shopify/LineItem/${lineItemIdOf(sku)}"`);
    line = replaceOne(line, /\n {6}"quantity": 1,/, `\n      "quantity": ${units},`);
    line = replaceOne(line, /\n {6}"sku": "crafty_shoes_red",/, `\n      "sku": "${sku}",`);
    return line;
  });
  let body = `${items.before}${lineCopies.join(',\n')}${items.after}`;
  body = replaceOne(body, /\n {2}"id": 1069019868,/, `\n  "id": ${parcel.id},`);
  body = replaceOne(body, /"gid:\/\/shopify\/Fulfillment\/1069019868"/, `"gid://shopify/Fulfillment/${parcel.id}"`);
  return Buffer.from(body, 'utf8');
}

/** Shopify's sample refund of #1001's RED line (refunds-create.json), with the units and restock type given. */
function shopifyRefund(units: number, restockType: 'return' | 'cancel'): Buffer {
  let text = shopifyFixture('refunds-create.json').toString('utf8');
  text = replaceOne(text, /"restock_type": "no_restock",\n {6}"quantity": 1,/, `"restock_type": "${restockType}",\n      "quantity": ${units},`);
  return Buffer.from(text, 'utf8');
}

/** WooCommerce's sample order 727 (line 315 without a SKU; line 316 the template of the lines a test names). */
const WOO_ORDER = 'w-1';
interface WooState {
  file: 'created' | 'updated';
  status: string;
  dateModifiedGmt?: string;
  /** The lines with a SKU, after the sample's line without one: [line id, SKU, quantity]. */
  lines: [id: number, sku: string, quantity: number][];
}
function wooOrder(state: WooState): Buffer {
  const text = wooOrderBody(WOO_FIXTURES[state.file], { id: WOO_ORDER, status: state.status, dateModifiedGmt: state.dateModifiedGmt }).toString('utf8');
  const items = between(text, '\n  "line_items": [\n', '\n  ],\n  "tax_lines"');
  const template = between(items.inner, '    {\n      "id": 316,', '\n    }').inner;
  const noSku = items.inner.slice(0, items.inner.indexOf('    {\n      "id": 316,'));
  const copies = state.lines.map(([id, sku, quantity]) => {
    let line = replaceOne(template, /\n {6}"quantity": 1,/, `\n      "quantity": ${quantity},`);
    line = replaceOne(line, /\n {6}"sku": "Bar3",/, `\n      "sku": "${sku}",`);
    return `    {\n      "id": ${id},${line}\n    }`;
  });
  return Buffer.from(`${items.before}${noSku.replace(/,\n$/, '')}${copies.map((c) => `,\n${c}`).join('')}${items.after}`, 'utf8');
}

let sequence = 0;

describe('orders after they are placed, sent as Shopify and WooCommerce send them', () => {
  const t = useTestApp({
    WEBHOOK_SHOP_PROVIDER: 'shopify',
    WEBHOOK_SHOP_SECRET: SHOP_SECRET,
    WEBHOOK_WOO_PROVIDER: 'woocommerce',
    WEBHOOK_WOO_SECRET: WOO_SECRET,
  });
  const SEED = { IPOD2008GREEN: 5, IPOD2008RED: 5, IPOD2008BLACK: 5, [ADDED_SKU]: 3, 'W-A': 10, 'W-B': 10 };
  beforeEach(async () => {
    await resetDatabase(t.db);
    await seedStock(t.db, SEED);
  });
  afterEach(async () => {
    // the ledger explains every counter and every line, whatever the test did
    expect(await ledgerMismatches(t.db)).toEqual([]);
    expect(await lineLedgerBreaches(t.db)).toEqual({ rowsWithoutTheirLine: [], orders: [], lines: [], skus: [] });
  });

  /** POSTs the exact bytes to /webhooks/shop as Shopify does: topic, event id, base64 HMAC over the body. */
  async function shopify(topic: string, body: Buffer): Promise<Answer> {
    sequence += 1;
    const response = await fetch(`${t.url}/webhooks/shop`, {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'x-shopify-topic': topic,
        'x-shopify-hmac-sha256': shopifyHmac(body, SHOP_SECRET),
        'x-shopify-event-id': `ev-changes-${sequence}`,
        'x-shopify-webhook-id': `wh-changes-${sequence}`,
        'x-shopify-shop-domain': 'jsmith.myshopify.com',
        'x-shopify-api-version': '2026-07',
      },
    });
    return { status: response.status, body: JSON.parse(await response.text()) as Record<string, unknown>, headers: response.headers };
  }
  const woo = (topic: string, body: Buffer): Promise<Answer> =>
    deliver(t.url, body, { path: '/webhooks/woo', signature: null, headers: wooHeaders(topic, body, WOO_SECRET, { deliveryId: `d-${(sequence += 1)}` }) });

  type Item = { sku: string | null; quantity: number; reserved_quantity: number; fulfilled_quantity: number; returned_quantity: number };
  const order = async (orderId: string) =>
    (await admin(t.url, 'GET', `/orders/${orderId}`)).body as { status: string; needs_attention: boolean; items: Item[]; attention: { reason: string }[] };
  /** The order's items as [sku, quantity, reserved, fulfilled, returned]. */
  const items = async (orderId: string) =>
    (await order(orderId)).items.map((i) => [i.sku, i.quantity, i.reserved_quantity, i.fulfilled_quantity, i.returned_quantity]);
  const stock = async (...skus: string[]): Promise<Record<string, { on_hand: number; reserved: number } | undefined>> =>
    Object.fromEntries(await Promise.all(skus.map(async (sku) => [sku, await stockOf(t.db, sku)] as const)));
  const IPODS = ['IPOD2008GREEN', 'IPOD2008RED', 'IPOD2008BLACK', ADDED_SKU];

  /** #1001 created paid (orders/create) with these units of GREEN, RED, BLACK. */
  const created = (green: number, red: number, black: number, financial: 'pending' | 'paid' = 'paid') =>
    shopifyOrder({ file: 'order-450789469.json', financial, lines: { IPOD2008GREEN: [green], IPOD2008RED: [red], IPOD2008BLACK: [black] } });

  describe('Shopify: an admin edit, told by orders/updated', () => {
    beforeEach(async () => {
      expect((await shopify('orders/create', created(1, 3, 2))).body).toMatchObject({ status: 'processed', order_status: 'paid' });
      expect(await stock(...IPODS)).toEqual({
        IPOD2008GREEN: { on_hand: 5, reserved: 1 },
        IPOD2008RED: { on_hand: 5, reserved: 3 },
        IPOD2008BLACK: { on_hand: 5, reserved: 2 },
        [ADDED_SKU]: { on_hand: 3, reserved: 0 },
      });
    });
    const updated = (lines: Partial<ShopifyOrderState['lines']>, more: Partial<ShopifyOrderState> = {}) =>
      shopifyOrder({ file: 'orders-updated.json', financial: 'paid', lines: { IPOD2008GREEN: [1], IPOD2008RED: [3], IPOD2008BLACK: [2], ...lines }, ...more });

    it('removing a line (current_quantity 0) releases exactly its units; the line stays with 0 ordered', async () => {
      const res = await shopify('orders/updated', updated({ IPOD2008GREEN: [1, 0] }));
      expect(res).toMatchObject({ status: 200, body: { status: 'processed', order_status: 'paid' } });
      expect(await stock(...IPODS)).toEqual({
        IPOD2008GREEN: { on_hand: 5, reserved: 0 },
        IPOD2008RED: { on_hand: 5, reserved: 3 },
        IPOD2008BLACK: { on_hand: 5, reserved: 2 },
        [ADDED_SKU]: { on_hand: 3, reserved: 0 },
      });
      expect(await items(ORDER_1001)).toEqual([
        ['IPOD2008GREEN', 0, 0, 0, 0],
        ['IPOD2008RED', 3, 3, 0, 0],
        ['IPOD2008BLACK', 2, 2, 0, 0],
      ]);
      expect(await order(ORDER_1001)).toMatchObject({ status: 'paid', needs_attention: false });
    });

    it('lowering a quantity releases the units no longer ordered, and only those', async () => {
      const res = await shopify('orders/updated', updated({ IPOD2008RED: [3, 1] }));
      expect(res.body).toMatchObject({ status: 'processed', order_status: 'paid' });
      expect(await stock('IPOD2008GREEN', 'IPOD2008RED', 'IPOD2008BLACK')).toEqual({
        IPOD2008GREEN: { on_hand: 5, reserved: 1 },
        IPOD2008RED: { on_hand: 5, reserved: 1 },
        IPOD2008BLACK: { on_hand: 5, reserved: 2 },
      });
      expect(await items(ORDER_1001)).toEqual([
        ['IPOD2008GREEN', 1, 1, 0, 0],
        ['IPOD2008RED', 1, 1, 0, 0],
        ['IPOD2008BLACK', 2, 2, 0, 0],
      ]);
    });

    it('adding a product (a new line item with a SKU) reserves its units', async () => {
      const res = await shopify('orders/updated', updated({}, { added: 2 }));
      expect(res.body).toMatchObject({ status: 'processed', order_status: 'paid' });
      expect(await stock(...IPODS)).toEqual({
        IPOD2008GREEN: { on_hand: 5, reserved: 1 },
        IPOD2008RED: { on_hand: 5, reserved: 3 },
        IPOD2008BLACK: { on_hand: 5, reserved: 2 },
        [ADDED_SKU]: { on_hand: 3, reserved: 2 },
      });
      expect(await items(ORDER_1001)).toEqual([
        ['IPOD2008GREEN', 1, 1, 0, 0],
        ['IPOD2008RED', 3, 3, 0, 0],
        ['IPOD2008BLACK', 2, 2, 0, 0],
        [ADDED_SKU, 2, 2, 0, 0],
      ]);
      expect(await order(ORDER_1001)).toMatchObject({ needs_attention: false, attention: [] });
    });

    it('adding more than is available is edit_short: nothing extra is reserved (not even what was available), the order is flagged', async () => {
      // 4 of the 3 BLUE on hand, and one more RED (available alone): all or nothing
      const res = await shopify('orders/updated', updated({ IPOD2008RED: [4] }, { added: 4 }));
      expect(res).toMatchObject({ status: 200, body: { status: 'processed', reason: 'edit_short', order_status: 'paid' } });
      expect(await stock(...IPODS)).toEqual({
        IPOD2008GREEN: { on_hand: 5, reserved: 1 },
        IPOD2008RED: { on_hand: 5, reserved: 3 },
        IPOD2008BLACK: { on_hand: 5, reserved: 2 },
        [ADDED_SKU]: { on_hand: 3, reserved: 0 },
      });
      // the lines say what is asked; they hold what they held
      expect(await items(ORDER_1001)).toEqual([
        ['IPOD2008GREEN', 1, 1, 0, 0],
        ['IPOD2008RED', 4, 3, 0, 0],
        ['IPOD2008BLACK', 2, 2, 0, 0],
        [ADDED_SKU, 4, 0, 0, 0],
      ]);
      const flagged = await order(ORDER_1001);
      expect(flagged.needs_attention).toBe(true);
      expect(flagged.attention.map((a) => a.reason)).toEqual(['edit_short']);
    });
  });

  describe('Shopify: parcels', () => {
    it('two parcels: fulfillments/create ships the first (partially_fulfilled), orders/partially_fulfilled listing it ships nothing more, the rest fulfils; each unit leaves on_hand once', async () => {
      expect((await shopify('orders/create', created(2, 2, 1))).body).toMatchObject({ status: 'processed', order_status: 'paid' });

      // parcel 1: one GREEN unit of two (the fulfillment the derived orders/partially_fulfilled sample lists as shipped)
      const first = await shopify('fulfillments/create', shopifyFulfillment({ id: '255858046', lines: [['IPOD2008GREEN', 1]] }));
      expect(first).toMatchObject({ status: 200, body: { status: 'processed', order_status: 'partially_fulfilled' } });
      const afterFirst = {
        IPOD2008GREEN: { on_hand: 4, reserved: 1 },
        IPOD2008RED: { on_hand: 5, reserved: 2 },
        IPOD2008BLACK: { on_hand: 5, reserved: 1 },
      };
      expect(await stock('IPOD2008GREEN', 'IPOD2008RED', 'IPOD2008BLACK')).toEqual(afterFirst);

      // the order's own snapshot, listing that fulfillment (as published: 255858046, success, one GREEN unit):
      // a GREEN unit is still reserved, so only the parcel's id keeps it from shipping twice
      const partial = shopifyOrder({
        file: 'orders-partially-fulfilled.derived.json',
        financial: 'paid',
        fulfillment: 'partial',
        lines: { IPOD2008GREEN: [2], IPOD2008RED: [2], IPOD2008BLACK: [1] },
      });
      const told = await shopify('orders/partially_fulfilled', partial);
      expect(told).toMatchObject({ status: 200, body: { status: 'ignored', reason: 'already_applied', order_status: 'partially_fulfilled' } });
      expect(await stock('IPOD2008GREEN', 'IPOD2008RED', 'IPOD2008BLACK')).toEqual(afterFirst);
      expect(await items(ORDER_1001)).toEqual([
        ['IPOD2008GREEN', 2, 1, 1, 0],
        ['IPOD2008RED', 2, 2, 0, 0],
        ['IPOD2008BLACK', 1, 1, 0, 0],
      ]);

      // parcel 2: the rest (fulfillment 1069019868, as published, of the order's lines)
      const last = await shopify('fulfillments/create', shopifyFulfillment({ id: '1069019868', lines: [['IPOD2008GREEN', 1], ['IPOD2008RED', 2], ['IPOD2008BLACK', 1]] }));
      expect(last.body).toMatchObject({ status: 'processed', order_status: 'fulfilled' });
      const shipped = {
        IPOD2008GREEN: { on_hand: 3, reserved: 0 },
        IPOD2008RED: { on_hand: 3, reserved: 0 },
        IPOD2008BLACK: { on_hand: 4, reserved: 0 },
      };
      expect(await stock('IPOD2008GREEN', 'IPOD2008RED', 'IPOD2008BLACK')).toEqual(shipped);

      // orders/fulfilled lists both parcels: each shipped once already
      const fulfilled = shopifyOrder({
        file: 'orders-partially-fulfilled.derived.json',
        financial: 'paid',
        fulfillment: 'fulfilled',
        updatedAt: '2025-04-02T11:40:02-05:00',
        lines: { IPOD2008GREEN: [2], IPOD2008RED: [2], IPOD2008BLACK: [1] },
        parcels: [
          { id: '255858046', lines: [['IPOD2008GREEN', 1]] },
          { id: '1069019868', lines: [['IPOD2008GREEN', 1], ['IPOD2008RED', 2], ['IPOD2008BLACK', 1]] },
        ],
      });
      expect((await shopify('orders/fulfilled', fulfilled)).body).toMatchObject({ status: 'ignored', reason: 'already_applied', order_status: 'fulfilled' });
      expect(await stock('IPOD2008GREEN', 'IPOD2008RED', 'IPOD2008BLACK')).toEqual(shipped);
      expect(await items(ORDER_1001)).toEqual([
        ['IPOD2008GREEN', 2, 0, 2, 0],
        ['IPOD2008RED', 2, 0, 2, 0],
        ['IPOD2008BLACK', 1, 0, 1, 0],
      ]);
      expect((await order(ORDER_1001)).needs_attention).toBe(false);
    });

    it('orders/cancelled between parcels releases only the unshipped rest and flags cancelled_after_payment', async () => {
      await shopify('orders/create', created(1, 2, 1));
      expect((await shopify('fulfillments/create', shopifyFulfillment({ id: '255858046', lines: [['IPOD2008GREEN', 1]] }))).body).toMatchObject({
        order_status: 'partially_fulfilled',
      });
      // Shopify's cancelled #1001, listing the parcel that left
      const cancelled = shopifyOrder({
        file: 'orders-cancelled.json',
        financial: 'paid',
        fulfillment: 'partial',
        lines: { IPOD2008GREEN: [1], IPOD2008RED: [2], IPOD2008BLACK: [1] },
        parcels: [{ id: '255858046', lines: [['IPOD2008GREEN', 1]] }],
      });
      const res = await shopify('orders/cancelled', cancelled);
      expect(res).toMatchObject({ status: 200, body: { status: 'processed', order_status: 'cancelled' } });
      expect(await stock('IPOD2008GREEN', 'IPOD2008RED', 'IPOD2008BLACK')).toEqual({
        IPOD2008GREEN: { on_hand: 4, reserved: 0 },
        IPOD2008RED: { on_hand: 5, reserved: 0 },
        IPOD2008BLACK: { on_hand: 5, reserved: 0 },
      });
      expect(await items(ORDER_1001)).toEqual([
        ['IPOD2008GREEN', 1, 0, 1, 0],
        ['IPOD2008RED', 2, 0, 0, 0],
        ['IPOD2008BLACK', 1, 0, 0, 0],
      ]);
      const flagged = await order(ORDER_1001);
      expect(flagged).toMatchObject({ status: 'cancelled', needs_attention: true });
      expect(flagged.attention.map((a) => a.reason)).toEqual(['cancelled_after_payment']);
    });

    it('lowering a quantity after a parcel (orders/updated) releases only unshipped units; the last parcel then fulfils the order', async () => {
      await shopify('orders/create', created(1, 4, 1));
      expect((await shopify('fulfillments/create', shopifyFulfillment({ id: '1069019868', lines: [['IPOD2008RED', 1]] }))).body).toMatchObject({
        order_status: 'partially_fulfilled',
      });
      expect(await stockOf(t.db, 'IPOD2008RED')).toEqual({ on_hand: 4, reserved: 3 });

      // RED 4 -> 2 after one shipped: 2 unshipped units released, 1 still to ship
      const lowered = shopifyOrder({
        file: 'orders-updated.json',
        financial: 'paid',
        fulfillment: 'partial',
        updatedAt: '2025-04-02T11:45:00-05:00',
        lines: { IPOD2008GREEN: [1], IPOD2008RED: [4, 2], IPOD2008BLACK: [1] },
        parcels: [{ id: '1069019868', lines: [['IPOD2008RED', 1]] }],
      });
      expect((await shopify('orders/updated', lowered)).body).toMatchObject({ status: 'processed', order_status: 'partially_fulfilled' });
      expect(await stockOf(t.db, 'IPOD2008RED')).toEqual({ on_hand: 4, reserved: 1 });
      expect(await items(ORDER_1001)).toEqual([
        ['IPOD2008GREEN', 1, 1, 0, 0],
        ['IPOD2008RED', 2, 1, 1, 0],
        ['IPOD2008BLACK', 1, 1, 0, 0],
      ]);

      const rest = await shopify('fulfillments/create', shopifyFulfillment({ id: '1069019869', lines: [['IPOD2008GREEN', 1], ['IPOD2008RED', 1], ['IPOD2008BLACK', 1]] }));
      expect(rest.body).toMatchObject({ status: 'processed', order_status: 'fulfilled' });
      expect(await stock('IPOD2008GREEN', 'IPOD2008RED', 'IPOD2008BLACK')).toEqual({
        IPOD2008GREEN: { on_hand: 4, reserved: 0 },
        IPOD2008RED: { on_hand: 3, reserved: 0 },
        IPOD2008BLACK: { on_hand: 4, reserved: 0 },
      });
    });

    it('refunds/create with restock_type return after a parcel returns only shipped units: the unshipped ones stay reserved to ship', async () => {
      await shopify('orders/create', created(1, 3, 1));
      await shopify('fulfillments/create', shopifyFulfillment({ id: '1069019868', lines: [['IPOD2008RED', 2]] }));
      expect(await stockOf(t.db, 'IPOD2008RED')).toEqual({ on_hand: 3, reserved: 1 });

      // one RED unit of the two that left comes back (Shopify's sample refund of the RED line, restocked as a return)
      const res = await shopify('refunds/create', shopifyRefund(1, 'return'));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ order_status: 'partially_fulfilled' });
      expect(await stockOf(t.db, 'IPOD2008RED')).toEqual({ on_hand: 4, reserved: 1 });
      expect(await items(ORDER_1001)).toEqual([
        ['IPOD2008GREEN', 1, 1, 0, 0],
        ['IPOD2008RED', 3, 1, 2, 1],
        ['IPOD2008BLACK', 1, 1, 0, 0],
      ]);
    });

    it('refunds/create with restock_type cancel after a parcel releases the unshipped unit; the shipped ones stay shipped', async () => {
      await shopify('orders/create', created(1, 3, 1));
      await shopify('fulfillments/create', shopifyFulfillment({ id: '1069019868', lines: [['IPOD2008RED', 2]] }));
      const res = await shopify('refunds/create', shopifyRefund(1, 'cancel'));
      expect(res).toMatchObject({ status: 200, body: { status: 'processed', order_status: 'partially_fulfilled' } });
      expect(await stockOf(t.db, 'IPOD2008RED')).toEqual({ on_hand: 3, reserved: 0 });
      const red = (await order(ORDER_1001)).items.find((i) => i.sku === 'IPOD2008RED');
      expect(red).toMatchObject({ quantity: 2, reserved_quantity: 0, fulfilled_quantity: 2, returned_quantity: 0 });
    });
  });

  describe('Shopify: versions and order of arrival', () => {
    it('an orders/updated older than one applied changes nothing (stale), also after a newer one that changed nothing', async () => {
      await shopify('orders/create', created(1, 3, 1));
      const snapshot = (updatedAt: string, red: number, green = 1) =>
        shopifyOrder({ file: 'orders-updated.json', financial: 'paid', updatedAt, lines: { IPOD2008GREEN: [1, green], IPOD2008RED: [3, red], IPOD2008BLACK: [1] } });

      expect((await shopify('orders/updated', snapshot('2025-04-02T11:38:38-05:00', 2))).body).toMatchObject({ status: 'processed' });
      expect(await stock('IPOD2008GREEN', 'IPOD2008RED')).toEqual({ IPOD2008GREEN: { on_hand: 5, reserved: 1 }, IPOD2008RED: { on_hand: 5, reserved: 2 } });

      // the published orders/updated version (11:30:48) is older: nothing of it applies
      const older = await shopify('orders/updated', snapshot('2025-04-02T11:30:48-05:00', 1, 0));
      expect(older).toMatchObject({ status: 200, body: { status: 'ignored', reason: 'stale', order_status: 'paid' } });
      expect(await stock('IPOD2008GREEN', 'IPOD2008RED')).toEqual({ IPOD2008GREEN: { on_hand: 5, reserved: 1 }, IPOD2008RED: { on_hand: 5, reserved: 2 } });

      // a newer snapshot saying the same lines changes nothing, yet is the newest version now
      expect((await shopify('orders/updated', snapshot('2025-04-02T12:00:00-05:00', 2))).body).toMatchObject({ status: 'ignored', reason: 'already_applied' });
      const inBetween = await shopify('orders/updated', snapshot('2025-04-02T11:50:00-05:00', 3, 0));
      expect(inBetween.body).toMatchObject({ status: 'ignored', reason: 'stale' });
      expect(await stock('IPOD2008GREEN', 'IPOD2008RED')).toEqual({ IPOD2008GREEN: { on_hand: 5, reserved: 1 }, IPOD2008RED: { on_hand: 5, reserved: 2 } });
      expect(await items(ORDER_1001)).toEqual([
        ['IPOD2008GREEN', 1, 1, 0, 0],
        ['IPOD2008RED', 2, 2, 0, 0],
        ['IPOD2008BLACK', 1, 1, 0, 0],
      ]);
    });

    it.each(['pending', 'paid'] as const)('an orders/updated (newer, %s) before its orders/create is deferred, then applied: the order ends as in order', async (financial) => {
      const creation = created(1, 3, 1, 'pending');
      const update = shopifyOrder({ file: 'orders-updated.json', financial, lines: { IPOD2008GREEN: [1, 0], IPOD2008RED: [3, 2], IPOD2008BLACK: [1] } });
      const endState = async () => {
        const { status, needs_attention, attention } = await order(ORDER_1001);
        return { status, needs_attention, attention, items: await items(ORDER_1001), stock: await stock(...IPODS) };
      };

      expect((await shopify('orders/create', creation)).body).toMatchObject({ status: 'processed', order_status: 'pending' });
      expect((await shopify('orders/updated', update)).body).toMatchObject({ status: 'processed', order_status: financial });
      const inOrder = await endState();
      expect(inOrder).toMatchObject({
        status: financial,
        items: [
          ['IPOD2008GREEN', 0, 0, 0, 0],
          ['IPOD2008RED', 2, 2, 0, 0],
          ['IPOD2008BLACK', 1, 1, 0, 0],
        ],
      });
      expect(await ledgerMismatches(t.db)).toEqual([]);

      await resetDatabase(t.db);
      await seedStock(t.db, SEED);
      expect((await shopify('orders/updated', update)).body).toMatchObject({ status: 'deferred', reason: 'order_not_found' });
      expect((await admin(t.url, 'GET', `/orders/${ORDER_1001}`)).status).toBe(404);
      expect((await shopify('orders/create', creation)).body).toMatchObject({ status: 'processed' });
      expect(await endState()).toEqual(inOrder);
      // the deferred delivery is applied
      const [row] = await t.db.query<{ status: string }[]>(`SELECT status FROM webhook_events WHERE event_type = 'orders/updated'`);
      expect(row.status).toBe('processed');
    });
  });

  describe('WooCommerce: order.updated with changed line_items', () => {
    it('moves exactly the units of a quantity changed, a line added and a line removed', async () => {
      const created = await woo('order.created', wooOrder({ file: 'created', status: 'processing', lines: [[316, 'W-A', 3]] }));
      expect(created.body).toMatchObject({ status: 'processed', order_status: 'paid' });
      expect(await stock('W-A', 'W-B')).toEqual({ 'W-A': { on_hand: 10, reserved: 3 }, 'W-B': { on_hand: 10, reserved: 0 } });
      const update = (date: string, lines: WooState['lines'], status = 'processing') =>
        woo('order.updated', wooOrder({ file: 'updated', status, dateModifiedGmt: date, lines }));

      // a quantity changed: 3 -> 1
      expect((await update('2017-03-22T19:31:00', [[316, 'W-A', 1]])).body).toMatchObject({ status: 'processed', order_status: 'paid' });
      expect(await stock('W-A', 'W-B')).toEqual({ 'W-A': { on_hand: 10, reserved: 1 }, 'W-B': { on_hand: 10, reserved: 0 } });

      // a line added: two W-B
      expect((await update('2017-03-22T19:32:00', [[316, 'W-A', 1], [319, 'W-B', 2]])).body).toMatchObject({ status: 'processed', order_status: 'paid' });
      expect(await stock('W-A', 'W-B')).toEqual({ 'W-A': { on_hand: 10, reserved: 1 }, 'W-B': { on_hand: 10, reserved: 2 } });

      // a line removed: W-A no longer listed
      expect((await update('2017-03-22T19:33:00', [[319, 'W-B', 2]])).body).toMatchObject({ status: 'processed', order_status: 'paid' });
      expect(await stock('W-A', 'W-B')).toEqual({ 'W-A': { on_hand: 10, reserved: 0 }, 'W-B': { on_hand: 10, reserved: 2 } });
      expect(await items(WOO_ORDER)).toEqual([
        [null, 2, 0, 0, 0],
        ['W-A', 0, 0, 0, 0],
        ['W-B', 2, 2, 0, 0],
      ]);

      // completed: what the order now holds ships, and only that
      expect((await update('2017-03-22T19:34:00', [[319, 'W-B', 2]], 'completed')).body).toMatchObject({ status: 'processed', order_status: 'fulfilled' });
      expect(await stock('W-A', 'W-B')).toEqual({ 'W-A': { on_hand: 10, reserved: 0 }, 'W-B': { on_hand: 8, reserved: 0 } });
    });
  });
});
