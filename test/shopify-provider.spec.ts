import { beforeEach, describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { ledgerMismatches, resetDatabase, seedStock } from './support/database.js';
import { editedShopifyFixture, shopifyFixture, shopifyHmac } from './support/shopify.js';
import { admin, type Answer, useTestApp } from './support/test-app.js';

const SECRET = 'shpss_test_client_secret';

/**
 * Shopify's order #1001 (lines IPOD2008GREEN, IPOD2008RED, IPOD2008BLACK, one
 * unit each) as a topic delivers it. Each topic carries the Order in its state
 * at that moment, so the bodies differ (and must: the signature does not cover
 * the topic, so identical bytes are one event whatever the topic says). The
 * state fields are edited in: financial_status, fulfillment_status, the
 * current quantities (every line asked for), and for partial refunds two
 * units of IPOD2008BLACK.
 */
const ORDER_1001 = '450789469';
function order1001(state: { financial?: string; fulfillment?: string; blackUnits?: number } = {}): Buffer {
  const edits: [string, string][] = [['"financial_status": "partially_refunded"', `"financial_status": "${state.financial ?? 'pending'}"`]];
  // The sample's GREEN and BLACK were refunded (current_quantity 0); here every line is still asked for, as a snapshot reads it.
  for (const [lineItem, units] of [['466157049', 1], ['703073504', state.blackUnits ?? 1]] as const) {
    edits.push([
      `"gid://shopify/LineItem/${lineItem}",\n      "attributed_staffs": [],\n      "current_quantity": 0,`,
      `"gid://shopify/LineItem/${lineItem}",\n      "attributed_staffs": [],\n      "current_quantity": ${units},`,
    ]);
  }
  if (state.fulfillment) edits.push(['"fulfillment_status": null,\n  "landing_site"', `"fulfillment_status": "${state.fulfillment}",\n  "landing_site"`]);
  if (state.blackUnits) {
    edits.push([
      '"quantity": 1,\n      "requires_shipping": true,\n      "sku": "IPOD2008BLACK"',
      `"quantity": ${state.blackUnits},\n      "requires_shipping": true,\n      "sku": "IPOD2008BLACK"`,
    ]);
  }
  return editedShopifyFixture('order-450789469.json', edits);
}
const CREATED_1001 = order1001();
const PAID_1001 = order1001({ financial: 'paid' });
const FULFILLED_1001 = order1001({ financial: 'paid', fulfillment: 'fulfilled' });
const TWO_BLACK = { created: order1001({ blackUnits: 2 }), paid: order1001({ blackUnits: 2, financial: 'paid' }), fulfilled: order1001({ blackUnits: 2, financial: 'paid', fulfillment: 'fulfilled' }) };
/** The refund of IPOD2008BLACK and IPOD2008GREEN of #1001, with the restock types given (the fixture says legacy_restock). */
const refundOf1001 = (black: string, green: string, blackLineQuantity = 2) =>
  editedShopifyFixture('refunds-create.legacy-restock.json', [
    [`"line_item_id": 703073504,\n      "location_id": 487838322,\n      "restock_type": "legacy_restock"`, `"line_item_id": 703073504,\n      "location_id": 487838322,\n      "restock_type": "${black}"`],
    ['"quantity": 1,\n        "sku": "IPOD2008BLACK"', `"quantity": ${blackLineQuantity},\n        "sku": "IPOD2008BLACK"`],
    [`"line_item_id": 466157049,\n      "location_id": 487838322,\n      "restock_type": "legacy_restock"`, `"line_item_id": 466157049,\n      "location_id": 487838322,\n      "restock_type": "${green}"`],
  ]);

/** Shopify's newly created paid order 1073459966, one unit of IPOD2009BLACK; and as orders/fulfilled delivers it. */
const PAID_ORDER = '1073459966';
const FULFILLED_PAID_ORDER = editedShopifyFixture('orders-create.json', [['"fulfillment_status": null,\n  "landing_site"', '"fulfillment_status": "fulfilled",\n  "landing_site"']]);
/** Shopify's sample refund, edited to name order 1073459966 and its one line, restocked as a return. */
const FULL_REFUND_OF_PAID_ORDER = editedShopifyFixture('refunds-create.json', [
  ['"order_id": 450789469', `"order_id": ${PAID_ORDER}`],
  ['"restock_type": "no_restock"', '"restock_type": "return"'],
  ['"line_item_id": 518995019', '"line_item_id": 1071823177'],
  ['"id": 518995019', '"id": 1071823177'],
  ['"sku": "IPOD2008RED"', '"sku": "IPOD2009BLACK"'],
]);

let sequence = 0;

describe('a source speaking shopify (WEBHOOK_SHOP_PROVIDER=shopify)', () => {
  const t = useTestApp({ WEBHOOK_SHOP_PROVIDER: 'shopify', WEBHOOK_SHOP_SECRET: SECRET });

  beforeEach(async () => {
    await resetDatabase(t.db);
    await seedStock(t.db, { IPOD2008GREEN: 5, IPOD2008RED: 5, IPOD2008BLACK: 5, IPOD2009BLACK: 5 });
  });

  /** POSTs the exact bytes to /webhooks/shop as Shopify does: topic, event id (or webhook id only), base64 HMAC. */
  async function shopify(
    topic: string,
    body: Buffer,
    options: { eventId?: string | null; webhookId?: string; signature?: string; headers?: Record<string, string> } = {},
  ): Promise<Answer> {
    sequence += 1;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-shopify-topic': topic,
      'x-shopify-hmac-sha256': options.signature ?? shopifyHmac(body, SECRET),
      'x-shopify-webhook-id': options.webhookId ?? `wh-${sequence}`,
      'x-shopify-shop-domain': 'jsmith.myshopify.com',
      'x-shopify-api-version': '2026-07',
    };
    if (options.eventId !== null) headers['x-shopify-event-id'] = options.eventId ?? `ev-${sequence}`;
    Object.assign(headers, options.headers);
    const response = await fetch(`${t.url}/webhooks/shop`, { method: 'POST', headers, body });
    const text = await response.text();
    return { status: response.status, body: JSON.parse(text) as Record<string, unknown>, headers: response.headers };
  }

  const inventory = async (sku: string) => {
    const { body } = await admin(t.url, 'GET', `/inventory/${sku}`);
    return { on_hand: body.on_hand, reserved: body.reserved, available: body.available };
  };
  const order = async (orderId: string) => (await admin(t.url, 'GET', `/orders/${orderId}`)).body;

  it('orders/create reserves the lines and creates the order from the Order resource', async () => {
    const res = await shopify('orders/create', CREATED_1001);
    expect(res).toMatchObject({ status: 200, body: { status: 'processed', order_status: 'pending' } });
    for (const sku of ['IPOD2008GREEN', 'IPOD2008RED', 'IPOD2008BLACK']) expect(await inventory(sku)).toEqual({ on_hand: 5, reserved: 1, available: 4 });
    expect(await order(ORDER_1001)).toMatchObject({
      order_id: ORDER_1001,
      status: 'pending',
      customer_name: 'Bob Norman',
      customer_email: 'bob.norman@mail.example.com',
      currency: 'USD',
      items: [
        { sku: 'IPOD2008GREEN', quantity: 1 },
        { sku: 'IPOD2008RED', quantity: 1 },
        { sku: 'IPOD2008BLACK', quantity: 1 },
      ],
    });
    expect(Number((await order(ORDER_1001)).total_amount)).toBe(598.94);
  });

  it('orders/create already paid is created and paid in one delivery; a 64-bit id is kept digit for digit', async () => {
    const res = await shopify('orders/create', shopifyFixture('orders-create.64-bit-ids.json'));
    expect(res).toMatchObject({ status: 200, body: { status: 'processed', order_status: 'paid' } });
    const created = await admin(t.url, 'GET', '/orders/9007199254740993');
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ order_id: '9007199254740993', status: 'paid', customer_name: 'Shopify customer (no name given)' });
    expect((created.body.history as { to_status: string }[]).map((h) => h.to_status)).toEqual(['pending', 'paid']);
    // The id JSON.parse would have made of it names no order.
    expect((await admin(t.url, 'GET', '/orders/9007199254740992')).status).toBe(404);
    expect(await inventory('IPOD2009BLACK')).toEqual({ on_hand: 5, reserved: 1, available: 4 });
  });

  it("orders/paid after an orders/create that was already paid is already_applied: not flagged, nothing moves, no history row", async () => {
    expect((await shopify('orders/create', shopifyFixture('orders-create.json'))).body).toMatchObject({ status: 'processed', order_status: 'paid' });
    // Shopify's own follow-up: the same Order, a moment later (other bytes, so not a duplicate)
    const paidAgain = editedShopifyFixture('orders-create.json', [['"updated_at": "2025-04-02T11:30:54-05:00"', '"updated_at": "2025-04-02T11:30:55-05:00"']]);
    const res = await shopify('orders/paid', paidAgain);
    expect(res).toMatchObject({ status: 200, body: { status: 'ignored', reason: 'already_applied', order_status: 'paid' } });
    expect(await order(PAID_ORDER)).toMatchObject({ status: 'paid', needs_attention: false });
    expect(((await order(PAID_ORDER)).history as { to_status: string }[]).map((h) => h.to_status)).toEqual(['pending', 'paid']);
    expect(await inventory('IPOD2009BLACK')).toEqual({ on_hand: 5, reserved: 1, available: 4 });
  });

  it('orders/paid pays, orders/fulfilled commits the stock', async () => {
    await shopify('orders/create', CREATED_1001);
    expect((await shopify('orders/paid', PAID_1001)).body).toMatchObject({ status: 'processed', order_status: 'paid' });
    expect((await shopify('orders/fulfilled', FULFILLED_1001)).body).toMatchObject({ status: 'processed', order_status: 'fulfilled' });
    for (const sku of ['IPOD2008GREEN', 'IPOD2008RED', 'IPOD2008BLACK']) expect(await inventory(sku)).toEqual({ on_hand: 4, reserved: 0, available: 4 });
    expect(await ledgerMismatches(t.db)).toEqual([]);
  });

  it('orders/cancelled cancels with the cancel_reason and releases the stock', async () => {
    await shopify('orders/create', CREATED_1001);
    const res = await shopify('orders/cancelled', shopifyFixture('orders-cancelled.json'));
    expect(res.body).toMatchObject({ status: 'processed', order_status: 'cancelled' });
    const cancelled = await order(ORDER_1001);
    expect(cancelled.status).toBe('cancelled');
    expect((cancelled.history as { to_status: string; reason: string | null }[]).at(-1)).toMatchObject({ to_status: 'cancelled', reason: 'other' });
    for (const sku of ['IPOD2008GREEN', 'IPOD2008RED', 'IPOD2008BLACK']) expect(await inventory(sku)).toEqual({ on_hand: 5, reserved: 0, available: 5 });
  });

  it('orders/paid before orders/create is deferred, then applied when the order arrives', async () => {
    expect((await shopify('orders/paid', PAID_1001)).body).toMatchObject({ status: 'deferred' });
    expect((await admin(t.url, 'GET', `/orders/${ORDER_1001}`)).status).toBe(404);
    const created = await shopify('orders/create', CREATED_1001);
    expect(created.body).toMatchObject({ status: 'processed', order_status: 'paid' });
    expect((await order(ORDER_1001)).status).toBe('paid');
  });

  it('the same bytes under another webhook id (and no event id) are a duplicate', async () => {
    const first = await shopify('orders/create', CREATED_1001, { eventId: null, webhookId: 'wh-a' });
    expect(first.body).toMatchObject({ event_id: 'wh-a', status: 'processed' });
    const again = await shopify('orders/create', CREATED_1001, { eventId: null, webhookId: 'wh-b' });
    expect(again).toMatchObject({ status: 200, body: { status: 'duplicate' } });
    expect(await inventory('IPOD2008RED')).toEqual({ on_hand: 5, reserved: 1, available: 4 });
  });

  it('an orders/updated byte for byte like its orders/create, arriving first, does not make the creation a duplicate', async () => {
    expect((await shopify('orders/updated', CREATED_1001)).body).toMatchObject({ status: 'deferred' });
    expect((await shopify('orders/create', CREATED_1001)).body).toMatchObject({ status: 'processed', order_status: 'pending' });
    for (const sku of ['IPOD2008GREEN', 'IPOD2008RED', 'IPOD2008BLACK']) expect(await inventory(sku)).toEqual({ on_hand: 5, reserved: 1, available: 4 });
  });

  it('the same event id is a duplicate, whatever the webhook id', async () => {
    await shopify('orders/create', CREATED_1001);
    expect((await shopify('orders/paid', PAID_1001, { eventId: 'ev-paid', webhookId: 'wh-1' })).body).toMatchObject({ status: 'processed' });
    // Other bytes (so that only the event id can make it a duplicate), under another webhook id.
    const resent = editedShopifyFixture('order-450789469.json', [
      ['"financial_status": "partially_refunded"', '"financial_status": "paid"'],
      ['"note": null', '"note": "resent"'],
    ]);
    const again = await shopify('orders/paid', resent, { eventId: 'ev-paid', webhookId: 'wh-2' });
    expect(again).toMatchObject({ status: 200, body: { event_id: 'ev-paid', status: 'duplicate' } });
    expect((await order(ORDER_1001)).history).toHaveLength(2);
  });

  it('refunds/create after fulfilment restocks the return lines only, and leaves the order fulfilled when lines stay unrefunded', async () => {
    await shopify('orders/create', TWO_BLACK.created);
    await shopify('orders/paid', TWO_BLACK.paid);
    await shopify('orders/fulfilled', TWO_BLACK.fulfilled);
    expect(await inventory('IPOD2008BLACK')).toEqual({ on_hand: 3, reserved: 0, available: 3 });

    // One of two BLACK units returned; the GREEN unit refunded without restock.
    const res = await shopify('refunds/create', refundOf1001('return', 'no_restock'));
    expect(res.body).toMatchObject({ status: 'processed', order_status: 'fulfilled' });
    expect(await inventory('IPOD2008BLACK')).toEqual({ on_hand: 4, reserved: 0, available: 4 });
    expect(await inventory('IPOD2008GREEN')).toEqual({ on_hand: 4, reserved: 0, available: 4 });
    expect(await inventory('IPOD2008RED')).toEqual({ on_hand: 4, reserved: 0, available: 4 });
    const movements = await t.db.query(
      `SELECT sku, kind, on_hand_delta, reserved_delta FROM stock_movements WHERE kind = 'restock' ORDER BY id`,
    );
    expect(movements).toEqual([{ sku: 'IPOD2008BLACK', kind: 'restock', on_hand_delta: 1, reserved_delta: 0 }]);
    expect(await ledgerMismatches(t.db)).toEqual([]);
    expect((await order(ORDER_1001)).items).toEqual(
      expect.arrayContaining([expect.objectContaining({ sku: 'IPOD2008BLACK', quantity: 2, returned_quantity: 1 })]),
    );
  });

  it('refunds/create before fulfilment releases the cancel lines only; legacy_restock releases nothing', async () => {
    await shopify('orders/create', TWO_BLACK.created);
    await shopify('orders/paid', TWO_BLACK.paid);
    const res = await shopify('refunds/create', refundOf1001('legacy_restock', 'cancel'));
    expect(res.body).toMatchObject({ status: 'processed', order_status: 'paid' });
    expect(await inventory('IPOD2008GREEN')).toEqual({ on_hand: 5, reserved: 0, available: 5 });
    expect(await inventory('IPOD2008BLACK')).toEqual({ on_hand: 5, reserved: 2, available: 3 });
    expect(await inventory('IPOD2008RED')).toEqual({ on_hand: 5, reserved: 1, available: 4 });
    expect(await ledgerMismatches(t.db)).toEqual([]);
  });

  it('a refund of every line refunds the order (after its returned units are back)', async () => {
    expect((await shopify('orders/create', shopifyFixture('orders-create.json'))).body).toMatchObject({ order_status: 'paid' });
    await shopify('orders/fulfilled', FULFILLED_PAID_ORDER);
    expect(await inventory('IPOD2009BLACK')).toEqual({ on_hand: 4, reserved: 0, available: 4 });
    const res = await shopify('refunds/create', FULL_REFUND_OF_PAID_ORDER);
    expect(res.body).toMatchObject({ status: 'processed', order_status: 'refunded' });
    expect((await order(PAID_ORDER)).status).toBe('refunded');
    expect(await inventory('IPOD2009BLACK')).toEqual({ on_hand: 5, reserved: 0, available: 5 });
    expect(await ledgerMismatches(t.db)).toEqual([]);
  });

  it('a refund that restocks nothing and leaves lines unrefunded is ignored as a partial refund', async () => {
    await shopify('orders/create', TWO_BLACK.created);
    await shopify('orders/paid', TWO_BLACK.paid);
    // GREEN refunded in full, one BLACK unit of two: not every line, and nothing restocked.
    const res = await shopify('refunds/create', refundOf1001('no_restock', 'no_restock'));
    expect(res.body).toMatchObject({ status: 'ignored', reason: 'partial_refund', order_status: 'paid' });
    expect((await order(ORDER_1001)).status).toBe('paid');
  });

  it("Shopify's sample refund, one line of #1001 in full, leaves the order's other lines unrefunded: not a refund of the order", async () => {
    await shopify('orders/create', TWO_BLACK.created);
    await shopify('orders/paid', TWO_BLACK.paid);
    const res = await shopify('refunds/create', shopifyFixture('refunds-create.json'));
    expect(res.body).toMatchObject({ status: 'ignored', reason: 'partial_refund', order_status: 'paid' });
    expect((await order(ORDER_1001)).status).toBe('paid');
    expect(await ledgerMismatches(t.db)).toEqual([]);
  });

  it('an unknown topic is answered 200 ignored, and recorded under its own name', async () => {
    const res = await shopify('orders/delete', CREATED_1001, { eventId: 'ev-delete' });
    expect(res).toMatchObject({ status: 200, body: { status: 'ignored', reason: 'unknown_topic' } });
    expect((await admin(t.url, 'GET', `/orders/${ORDER_1001}`)).status).toBe(404);
    const logged = await admin(t.url, 'GET', '/webhook-events?limit=5');
    expect(JSON.stringify(logged.body)).toContain('orders/delete');
  });

  it('orders/edited is answered ignored read_from_order_update (the orders/updated that follows carries the edit): nothing moves', async () => {
    await shopify('orders/create', CREATED_1001);
    const res = await shopify('orders/edited', shopifyFixture('orders-edited.constructed.json'));
    expect(res).toMatchObject({ status: 200, body: { status: 'ignored', reason: 'read_from_order_update' } });
    expect(await order(ORDER_1001)).toMatchObject({ status: 'pending', needs_attention: false });
    for (const sku of ['IPOD2008GREEN', 'IPOD2008RED', 'IPOD2008BLACK']) expect(await inventory(sku)).toEqual({ on_hand: 5, reserved: 1, available: 4 });
  });

  it.each(['cancelled', 'failure'])('fulfillments/create of a parcel with status %s is ignored naming the status: nothing ships', async (status) => {
    await shopify('orders/create', CREATED_1001);
    const parcel = editedShopifyFixture('fulfillments-create.json', [
      ['"status": "success"', `"status": "${status}"`],
      ['"sku": "crafty_shoes_red"', '"sku": "IPOD2008RED"'],
    ]);
    const res = await shopify('fulfillments/create', parcel);
    expect(res).toMatchObject({ status: 200, body: { status: 'ignored', reason: `fulfillment_not_shipped: ${status}` } });
    expect(await inventory('IPOD2008RED')).toEqual({ on_hand: 5, reserved: 1, available: 4 });
    expect((await order(ORDER_1001)).status).toBe('pending');
  });

  it.each([
    ['made with another secret', (body: Buffer) => shopifyHmac(body, 'another-secret')],
    ['in hex (the right HMAC, in the wrong encoding)', (body: Buffer) => createHmac('sha256', SECRET).update(body).digest('hex')],
    ['over other bytes', (body: Buffer) => shopifyHmac(Buffer.concat([body, Buffer.from(' ')]), SECRET)],
  ])('a signature %s is refused with 401 and changes nothing', async (_what, signatureOf) => {
    const res = await shopify('orders/create', CREATED_1001, { signature: signatureOf(CREATED_1001) });
    expect(res.status).toBe(401);
    expect((await admin(t.url, 'GET', `/orders/${ORDER_1001}`)).status).toBe(404);
    expect(await inventory('IPOD2008RED')).toEqual({ on_hand: 5, reserved: 0, available: 5 });
  });

  it('a line without a SKU is kept (sku null) and reserves nothing', async () => {
    const body = editedShopifyFixture('order-450789469.json', [
      ['"financial_status": "partially_refunded"', '"financial_status": "pending"'],
      ['\n      "sku": "IPOD2008RED"', '\n      "sku": null'],
    ]);
    expect((await shopify('orders/create', body)).body).toMatchObject({ status: 'processed', order_status: 'pending' });
    expect((await order(ORDER_1001)).items).toEqual([
      expect.objectContaining({ sku: 'IPOD2008GREEN', quantity: 1 }),
      expect.objectContaining({ sku: null, quantity: 1 }),
      expect.objectContaining({ sku: 'IPOD2008BLACK', quantity: 1 }),
    ]);
    expect(await inventory('IPOD2008RED')).toEqual({ on_hand: 5, reserved: 0, available: 5 });
    expect(await inventory('IPOD2008GREEN')).toEqual({ on_hand: 5, reserved: 1, available: 4 });
  });

  it('an order short of stock is rejected and reserves nothing', async () => {
    // Six units of IPOD2008BLACK asked, five on hand.
    const res = await shopify('orders/create', order1001({ blackUnits: 6 }));
    expect(res.body).toMatchObject({ status: 'processed', order_status: 'rejected' });
    expect((await order(ORDER_1001)).status).toBe('rejected');
    for (const sku of ['IPOD2008GREEN', 'IPOD2008RED', 'IPOD2008BLACK']) expect(await inventory(sku)).toEqual({ on_hand: 5, reserved: 0, available: 5 });
  });

  /** A refund of order 1001 whose refund_line_items are `lines`. */
  const refundWithLines = (lines: string) => Buffer.from(`{"id":1,"order_id":${ORDER_1001},"refund_line_items":[${lines}]}`);
  const nothingStored = async () => {
    expect(await t.db.query(`SELECT count(*)::int AS n FROM webhook_events`)).toEqual([{ n: 0 }]);
    for (const sku of ['IPOD2008GREEN', 'IPOD2008RED', 'IPOD2008BLACK']) expect(await inventory(sku)).toEqual({ on_hand: 5, reserved: 0, available: 5 });
  };

  it('a refund of 80,000 empty lines (240 kB) is a short 400: lines past the 500 read are not looked at', async () => {
    const body = refundWithLines(Array.from({ length: 80_000 }, () => '{}').join(','));
    expect(body.length).toBeGreaterThan(240_000);
    const res = await shopify('refunds/create', body);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ field: 'refund_line_items', message: 'refund_line_items must hold at most 500 lines' }]);
    expect(JSON.stringify(res.body).length).toBeLessThan(1000);
    await nothingStored();
  });

  it('a refund of 500 bad lines names the first 20 problems and how many more', async () => {
    const res = await shopify('refunds/create', refundWithLines(Array.from({ length: 500 }, () => '{}').join(',')));
    expect(res.status).toBe(400);
    const errors = res.body.errors as { field: string; message: string }[];
    expect(errors).toHaveLength(21);
    expect(errors[0]).toEqual({ field: 'refund_line_items[0].quantity', message: 'refund_line_items[0].quantity must be an integer from 1 to 1000000' });
    expect(errors[20]).toEqual({ field: 'body', message: 'and 480 more problems' });
    await nothingStored();
  });

  it('a refund of 3,000 lines of 1,000,000 units is a 400, not a 500 from an integer overflow', async () => {
    const line = '{"quantity":1000000,"restock_type":"return","line_item":{"sku":"IPOD2008BLACK"}}';
    await shopify('orders/create', PAID_1001);
    const res = await shopify('refunds/create', refundWithLines(Array.from({ length: 3000 }, () => line).join(',')));
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ field: 'refund_line_items', message: 'refund_line_items must hold at most 500 lines' }]);
  });

  it.each([
    ['a NUL', '"1001\\u0000"'],
    ['a lone surrogate', '"\\ud800"'],
    ['an integer written with an exponent', '1e400'],
  ])('an order id with %s is a 400 that says what an id is; nothing is stored', async (_what, id) => {
    const res = await shopify('orders/create', editedShopifyFixture('order-450789469.json', [[`"id": ${ORDER_1001},`, `"id": ${id},`]]));
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { field: 'id', message: "id must be the order's id: an integer written in digits, or a string of 1 to 128 characters without control characters (numeric text only as digits: not 1e400 or 1.5)" },
    ]);
    await nothingStored();
  });

  it.each([
    ['x-shopify-topic', { 'x-shopify-topic': '' }],
    ['x-shopify-event-id', { 'x-shopify-event-id': '', 'x-shopify-webhook-id': '' }],
  ])('a delivery without %s is a 400 naming it', async (field, headers) => {
    const res = await shopify('orders/create', CREATED_1001, { headers });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain(field);
    expect((await admin(t.url, 'GET', `/orders/${ORDER_1001}`)).status).toBe(404);
  });
});
