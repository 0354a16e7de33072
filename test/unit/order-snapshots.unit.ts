import { describe, expect, it } from '@jest/globals';
import { readJson } from '../../src/webhooks/providers/input-rules.js';
import type { CreateOrderCommand } from '../../src/orders/order-commands.js';
import {
  type OrderSnapshot,
  shopifyFulfillmentOf,
  shopifyOrderEditOf,
  shopifySnapshotOf,
  snapshotCommands,
  wooSnapshotOf,
} from '../../src/webhooks/providers/order-snapshots.js';
import { fieldsOf, refusal } from '../support/refusal.js';
import { editedShopifyFixture, shopifyFixture } from '../support/shopify.js';
import { WOO_FIXTURES, wooFixtureBytes, wooOrderBody } from '../support/woocommerce.js';

/** A body as the pipeline reads it (readJson: big ids kept as text). */
const bodyOf = (bytes: Buffer) => readJson(bytes) as Record<string, unknown>;
const shopify = (name: string) => bodyOf(shopifyFixture(name));
const woo = (name: string) => bodyOf(wooFixtureBytes(name));
/** The n-th member of an array member of a body, for edits in memory. */
const at = (body: Record<string, unknown>, member: string, n: number) => (body[member] as Record<string, unknown>[])[n];

/** Order #1001's three lines as Shopify's samples leave them: GREEN and BLACK refunded whole (current_quantity 0), RED still asked for. */
const ORDER_1001_LINES = [
  { sku: 'IPOD2008GREEN', quantity: 0, unitPrice: 199 },
  { sku: 'IPOD2008RED', quantity: 1, unitPrice: 199 },
  { sku: 'IPOD2008BLACK', quantity: 0, unitPrice: 199 },
];
/** What order #1001 says beside its lines in every sample: paid (partially_refunded), $598.94, nothing shipped (its one fulfillment is Shopify's `failure`). */
const ORDER_1001 = {
  orderId: '450789469',
  lines: ORDER_1001_LINES,
  totalAmount: 598.94,
  paid: true,
  parcels: [],
  fulfilled: false,
  cancelled: null,
  refunded: false,
  paymentFailed: false,
};

describe('order snapshots: each published sample, read', () => {
  it.each<[string, OrderSnapshot]>([
    ['order-450789469.json', { ...ORDER_1001, version: '2008-01-10T16:00:00.000Z' }],
    ['orders-updated.json', { ...ORDER_1001, version: '2025-04-02T16:30:48.000Z' }],
    [
      // fulfillment 255858046 made `success`: its GREEN unit is a parcel, by the fulfillment's id (GREEN was refunded after: asked 0)
      'orders-partially-fulfilled.derived.json',
      { ...ORDER_1001, version: '2025-04-02T16:38:38.000Z', parcels: [{ id: '255858046', lines: [{ sku: 'IPOD2008GREEN', quantity: 1 }] }] },
    ],
    // cancelling leaves current_quantity as it was: the cancellation is its own fact
    ['orders-cancelled.json', { ...ORDER_1001, version: '2025-04-02T16:31:25.000Z', cancelled: { reason: 'other' } }],
    [
      'orders-create.json',
      {
        orderId: '1073459966',
        version: '2025-04-02T16:30:54.000Z',
        lines: [{ sku: 'IPOD2009BLACK', quantity: 1, unitPrice: 199 }],
        totalAmount: 199,
        paid: true,
        parcels: [],
        fulfilled: false,
        cancelled: null,
        refunded: false,
        paymentFailed: false,
      },
    ],
  ])('Shopify %s', (name, snapshot) => {
    expect(shopifySnapshotOf(shopify(name))).toEqual(snapshot);
  });

  /** The docs' order 727: a line without a SKU (2 units) and Bar3 (1 unit), $29.35. */
  const ORDER_727 = {
    orderId: '727',
    lines: [
      { sku: null, quantity: 2, unitPrice: 3 },
      { sku: 'Bar3', quantity: 1, unitPrice: 12 },
    ],
    totalAmount: 29.35,
    parcels: [],
    cancelled: null,
    refunded: false,
    paymentFailed: false,
  };
  it.each<[string, OrderSnapshot]>([
    [WOO_FIXTURES.created, { ...ORDER_727, version: '2017-03-22T19:28:08.000Z', paid: true, fulfilled: false }],
    // `completed`: paid, and every unit shipped (no parcels: WooCommerce core has none)
    [WOO_FIXTURES.updated, { ...ORDER_727, version: '2017-03-22T19:30:35.000Z', paid: true, fulfilled: true }],
  ])('WooCommerce %s', (name, snapshot) => {
    expect(wooSnapshotOf(woo(name))).toEqual(snapshot);
  });

  it('Shopify fulfillments-create.json: one parcel, shipped, by its id, its units per SKU', () => {
    expect(shopifyFulfillmentOf(shopify('fulfillments-create.json'))).toEqual({
      orderId: '450789469',
      shipped: true,
      status: 'success',
      parcel: { id: '1069019868', lines: [{ sku: 'crafty_shoes_red', quantity: 1 }] },
    });
  });

  it('Shopify orders-edited.constructed.json: the edit by line item ids and deltas, at committed_at', () => {
    expect(shopifyOrderEditOf(shopify('orders-edited.constructed.json'))).toEqual({
      orderId: '450789469',
      editId: '2300000001',
      editedAt: '2025-04-02T16:30:47.000Z',
      additions: [{ lineItemId: '1071823206', delta: 2 }],
      removals: [{ lineItemId: '518995019', delta: 1 }],
    });
  });
});

describe('Shopify snapshot: lines', () => {
  const linesOf = (order: Record<string, unknown>) => shopifySnapshotOf(order).lines;

  it('quantity is current_quantity (after edits and refunds), not the quantity first ordered', () => {
    const order = shopify('orders-updated.json');
    at(order, 'line_items', 1).current_quantity = 3; // RED: quantity 1, now 3 (an edit added 2)
    at(order, 'line_items', 2).current_quantity = 0;
    expect(linesOf(order).map((l) => l.quantity)).toEqual([0, 3, 0]);
  });

  it('without current_quantity (API versions before 2024-01) quantity is the one first ordered', () => {
    const order = shopify('orders-updated.json');
    for (const line of order.line_items as Record<string, unknown>[]) delete line.current_quantity;
    expect(linesOf(order).map((l) => l.quantity)).toEqual([1, 1, 1]);
  });

  it('a line removed whole stays, with quantity 0', () => {
    const order = shopify('orders-create.json');
    at(order, 'line_items', 0).current_quantity = 0;
    expect(linesOf(order)).toEqual([{ sku: 'IPOD2009BLACK', quantity: 0, unitPrice: 199 }]);
  });

  it('lines of one SKU are one line: quantities added up, the price kept only when every line has it', () => {
    const order = shopify('orders-updated.json');
    at(order, 'line_items', 0).sku = 'IPOD2008RED'; // GREEN's line now sells RED too, 2 units
    at(order, 'line_items', 0).current_quantity = 2;
    expect(linesOf(order)).toEqual([
      { sku: 'IPOD2008RED', quantity: 3, unitPrice: 199 },
      { sku: 'IPOD2008BLACK', quantity: 0, unitPrice: 199 },
    ]);
    at(order, 'line_items', 0).price = '150.00';
    expect(linesOf(order)[0].unitPrice).toBeNull();
  });

  it('lines without a SKU are kept apart, each with its quantity', () => {
    const order = shopify('orders-updated.json');
    at(order, 'line_items', 0).sku = null;
    at(order, 'line_items', 2).sku = '';
    at(order, 'line_items', 2).current_quantity = 4;
    expect(linesOf(order).map((l) => [l.sku, l.quantity])).toEqual([
      [null, 0],
      ['IPOD2008RED', 1],
      [null, 4],
    ]);
  });
});

describe('Shopify snapshot: parcels, one per shipped fulfillment, by its id', () => {
  /** orders-updated with RED asked 5 and these fulfillments (RED's line item 518995019, GREEN's 466157049). */
  function withFulfillments(...fulfillments: { id: number | string; status: string; lines: [lineItemId: number, quantity: number][] }[]) {
    const order = shopify('orders-updated.json');
    const template = at(order, 'fulfillments', 0);
    const lineTemplate = (template.line_items as Record<string, unknown>[])[0];
    at(order, 'line_items', 1).current_quantity = 5;
    order.fulfillments = fulfillments.map(({ id, status, lines }) => ({
      ...template,
      id,
      status,
      line_items: lines.map(([lineItemId, quantity]) => ({ ...lineTemplate, id: lineItemId, quantity })),
    }));
    return order;
  }
  const RED = 518995019;
  const GREEN = 466157049;
  const parcelsOf = (order: Record<string, unknown>) => shopifySnapshotOf(order).parcels;

  it('each fulfillment with status success is a parcel of its own, its id as text; cancelled, failure, error, open and pending ship nothing', () => {
    const order = withFulfillments(
      { id: 1001, status: 'success', lines: [[RED, 2]] },
      { id: 1002, status: 'cancelled', lines: [[RED, 1]] },
      { id: 1003, status: 'failure', lines: [[RED, 1]] },
      { id: 1004, status: 'error', lines: [[RED, 1]] },
      { id: 1005, status: 'open', lines: [[RED, 1]] },
      { id: 1006, status: 'pending', lines: [[RED, 1]] },
      { id: 1007, status: 'success', lines: [[RED, 1], [GREEN, 1]] },
    );
    expect(parcelsOf(order)).toEqual([
      { id: '1001', lines: [{ sku: 'IPOD2008RED', quantity: 2 }] },
      { id: '1007', lines: [{ sku: 'IPOD2008RED', quantity: 1 }, { sku: 'IPOD2008GREEN', quantity: 1 }] },
    ]);
  });

  it("a parcel's lines are per SKU, named by the order's line items: two line items of one SKU add up", () => {
    const order = withFulfillments({ id: 2001, status: 'success', lines: [[RED, 1], [GREEN, 2], [RED, 1]] });
    at(order, 'line_items', 0).sku = 'IPOD2008RED'; // GREEN's line item now sells RED
    expect(parcelsOf(order)).toEqual([{ id: '2001', lines: [{ sku: 'IPOD2008RED', quantity: 4 }] }]);
  });

  it('units of a line without a SKU are never in a parcel; a parcel of only those is no parcel', () => {
    const order = withFulfillments({ id: 3001, status: 'success', lines: [[GREEN, 1], [RED, 1]] }, { id: 3002, status: 'success', lines: [[GREEN, 1]] });
    at(order, 'line_items', 0).sku = null;
    const snapshot = shopifySnapshotOf(order);
    expect(snapshot.parcels).toEqual([{ id: '3001', lines: [{ sku: 'IPOD2008RED', quantity: 1 }] }]);
    expect(snapshot.lines[0]).toEqual({ sku: null, quantity: 0, unitPrice: 199 });
  });

  it('a parcel line of no unit is left out', () => {
    const order = withFulfillments({ id: 4001, status: 'success', lines: [[RED, 0], [GREEN, 1]] });
    expect(parcelsOf(order)).toEqual([{ id: '4001', lines: [{ sku: 'IPOD2008GREEN', quantity: 1 }] }]);
  });

  it('not from fulfillable_quantity (which counts refunded units as done)', () => {
    const order = shopify('orders-updated.json');
    at(order, 'line_items', 1).fulfillable_quantity = 0; // as a refund or a pending fulfillment would leave it
    expect(parcelsOf(order)).toEqual([]);
  });
});

describe('Shopify snapshot: what the order says beside its lines', () => {
  it.each([
    ['paid', true],
    ['partially_refunded', true],
    ['refunded', true],
    ['pending', false],
    ['authorized', false],
    ['partially_paid', false],
    ['voided', false],
    [null, false],
  ])('financial_status %j: paid %s', (status, paid) => {
    const order = shopify('orders-updated.json');
    order.financial_status = status;
    expect(shopifySnapshotOf(order).paid).toBe(paid);
  });

  it.each([
    ['fulfilled', true],
    ['partial', false],
    [null, false],
    ['restocked', false],
  ])('fulfillment_status %j: wholly fulfilled %s', (status, fulfilled) => {
    const order = shopify('orders-updated.json');
    order.fulfillment_status = status;
    expect(shopifySnapshotOf(order).fulfilled).toBe(fulfilled);
  });

  it('cancelled is cancelled_at not null, with cancel_reason (cleaned) or none', () => {
    const order = shopify('orders-cancelled.json');
    order.cancel_reason = 'cus\u0000tomer';
    expect(shopifySnapshotOf(order).cancelled).toEqual({ reason: 'cus tomer' });
    order.cancel_reason = null;
    expect(shopifySnapshotOf(order).cancelled).toEqual({ reason: null });
    order.cancelled_at = null;
    expect(shopifySnapshotOf(order).cancelled).toBeNull();
  });

  it('the total is total_price, absent when the body gives none', () => {
    const order = shopify('orders-updated.json');
    order.total_price = '450.10';
    expect(shopifySnapshotOf(order).totalAmount).toBe(450.1);
    delete order.total_price;
    expect(shopifySnapshotOf(order)).not.toHaveProperty('totalAmount');
  });
});

describe('WooCommerce snapshot: what the status says', () => {
  it.each([
    ['processing', { paid: true, fulfilled: false, cancelled: null, refunded: false, paymentFailed: false }],
    ['completed', { paid: true, fulfilled: true, cancelled: null, refunded: false, paymentFailed: false }],
    ['cancelled', { paid: false, fulfilled: false, cancelled: { reason: null }, refunded: false, paymentFailed: false }],
    ['refunded', { paid: true, fulfilled: false, cancelled: null, refunded: true, paymentFailed: false }],
    ['failed', { paid: false, fulfilled: false, cancelled: null, refunded: false, paymentFailed: true }],
    ['pending', { paid: false, fulfilled: false, cancelled: null, refunded: false, paymentFailed: false }],
    ['on-hold', { paid: false, fulfilled: false, cancelled: null, refunded: false, paymentFailed: false }],
    ['a-plugins-own', { paid: false, fulfilled: false, cancelled: null, refunded: false, paymentFailed: false }],
  ])('status %s: %j', (status, says) => {
    const snapshot = wooSnapshotOf(bodyOf(wooOrderBody(WOO_FIXTURES.updated, { status })));
    expect(snapshot).toMatchObject({ ...says, parcels: [] });
    expect(snapshot.lines.map((l) => l.quantity)).toEqual([2, 1]);
  });

  it('what WooCommerce keeps says more than the status: paid once date_paid_gmt is set, shipped once date_completed_gmt is', () => {
    const refundedAfterShipping = wooSnapshotOf(bodyOf(wooOrderBody(WOO_FIXTURES.updated, { status: 'refunded', dateCompletedGmt: '2017-03-22T19:30:35' })));
    expect(refundedAfterShipping).toMatchObject({ paid: true, fulfilled: true, refunded: true });
    const cancelledAfterPayment = wooSnapshotOf(bodyOf(wooOrderBody(WOO_FIXTURES.updated, { status: 'cancelled', datePaidGmt: '2017-03-22T19:28:08' })));
    expect(cancelledAfterPayment).toMatchObject({ paid: true, fulfilled: false, cancelled: { reason: null } });
  });

  it('an edited line quantity, a line removed, lines of one SKU added up', () => {
    const order = bodyOf(wooOrderBody(WOO_FIXTURES.created, { firstLineSku: 'Bar3' }));
    expect(wooSnapshotOf(order).lines).toEqual([{ sku: 'Bar3', quantity: 3, unitPrice: null }]);
    at(order, 'line_items', 1).quantity = 4;
    expect(wooSnapshotOf(order).lines[0].quantity).toBe(6);
    order.line_items = [at(order, 'line_items', 1)];
    expect(wooSnapshotOf(order).lines).toEqual([{ sku: 'Bar3', quantity: 4, unitPrice: 12 }]);
  });
});

describe('snapshotCommands: the commands of a snapshot delivery, in lifecycle order', () => {
  const SNAPSHOT: OrderSnapshot = {
    orderId: '42',
    version: '2025-04-02T16:30:48.000Z',
    lines: [
      { sku: 'A', quantity: 2, unitPrice: 5 },
      { sku: null, quantity: 1, unitPrice: null },
    ],
    totalAmount: 11,
    paid: false,
    parcels: [],
    fulfilled: false,
    cancelled: null,
    refunded: false,
    paymentFailed: false,
  };
  const EDIT = { kind: 'edit_order', orderId: '42', lines: SNAPSHOT.lines, version: SNAPSHOT.version, totalAmount: 11 };
  const event = (name: string, extra: Record<string, unknown> = {}) => ({ kind: 'lifecycle', orderId: '42', event: name, reason: null, restock: false, ...extra });
  const PARCELS = [
    { id: '7', lines: [{ sku: 'A', quantity: 1 }] },
    { id: '8', lines: [{ sku: 'A', quantity: 1 }] },
  ];

  it.each<[string, Partial<OrderSnapshot>, unknown[]]>([
    ['nothing beside the lines: the edit alone', {}, [EDIT]],
    ['paid', { paid: true }, [EDIT, event('payment_succeeded')]],
    [
      'paid, two parcels, wholly fulfilled: one order_fulfilled per parcel, none without',
      { paid: true, parcels: PARCELS, fulfilled: true },
      [EDIT, event('payment_succeeded'), event('order_fulfilled', { parcel: PARCELS[0] }), event('order_fulfilled', { parcel: PARCELS[1] })],
    ],
    ['wholly fulfilled, no parcel listed: order_fulfilled without parcel', { paid: true, fulfilled: true }, [EDIT, event('payment_succeeded'), event('order_fulfilled')]],
    [
      'a parcel, then cancelled with a reason',
      { paid: true, parcels: [PARCELS[0]], cancelled: { reason: 'customer' } },
      [EDIT, event('payment_succeeded'), event('order_fulfilled', { parcel: PARCELS[0] }), event('order_cancelled', { reason: 'customer' })],
    ],
    ['refunded', { refunded: true }, [EDIT, event('order_refunded')]],
    ['payment failed', { paymentFailed: true }, [EDIT, event('payment_failed')]],
  ])('%s', (_what, says, commands) => {
    expect(snapshotCommands({ ...SNAPSHOT, ...says })).toEqual(commands);
  });

  it('without a total, the edit has none', () => {
    const { totalAmount: _total, ...untotalled } = SNAPSHOT;
    expect(snapshotCommands(untotalled)).toEqual([{ kind: 'edit_order', orderId: '42', lines: SNAPSHOT.lines, version: SNAPSHOT.version }]);
  });

  it('on creation: create_order with the version in place of the edit; refunded and payment failed ask nothing more', () => {
    const creation: CreateOrderCommand = { kind: 'create_order', orderId: '42', customerName: 'C', customerEmail: null, totalAmount: 11, currency: 'USD', lines: [{ sku: 'A', quantity: 2, unitPrice: 5 }] };
    expect(snapshotCommands({ ...SNAPSHOT, paid: true, parcels: [PARCELS[0]], cancelled: { reason: null } }, creation)).toEqual([
      { ...creation, version: SNAPSHOT.version },
      event('payment_succeeded'),
      event('order_fulfilled', { parcel: PARCELS[0] }),
      event('order_cancelled'),
    ]);
    expect(snapshotCommands({ ...SNAPSHOT, refunded: true }, creation)).toEqual([{ ...creation, version: SNAPSHOT.version }]);
    expect(snapshotCommands({ ...SNAPSHOT, paymentFailed: true }, creation)).toEqual([{ ...creation, version: SNAPSHOT.version }]);
  });
});

describe('versions: one UTC instant text, so an older snapshot sorts before a newer one', () => {
  const shopifyAt = (updatedAt: string) => {
    const order = shopify('orders-create.json');
    order.updated_at = updatedAt;
    return shopifySnapshotOf(order).version;
  };

  it.each([
    ['2025-04-02T11:30:48-05:00', '2025-04-02T16:30:48.000Z'],
    ['2025-04-02T16:30:48Z', '2025-04-02T16:30:48.000Z'],
    ['2025-04-02T22:00:48+05:30', '2025-04-02T16:30:48.000Z'],
    ['2025-04-02T16:30:48.5+00:00', '2025-04-02T16:30:48.500Z'],
    ['2025-12-31T23:30:00-01:00', '2026-01-01T00:30:00.000Z'],
    ['2024-02-29T00:00:00+00:00', '2024-02-29T00:00:00.000Z'],
  ])('Shopify updated_at %s -> %s', (text, version) => {
    expect(shopifyAt(text)).toBe(version);
  });

  it('orders the samples of one order as Shopify changed it', () => {
    const versions = ['order-450789469.json', 'orders-updated.json', 'orders-partially-fulfilled.derived.json'].map((name) => shopifySnapshotOf(shopify(name)).version);
    expect([...versions].sort()).toEqual(versions);
    expect(new Set(versions).size).toBe(3);
  });

  it('compares instants, not the text Shopify wrote (12:00+01:00 is before 11:30-05:00)', () => {
    const earlier = shopifyAt('2025-04-02T12:00:00+01:00');
    const later = shopifyAt('2025-04-02T11:30:48-05:00');
    expect(earlier < later).toBe(true);
  });

  it('WooCommerce date_modified_gmt is GMT: the created sample is older than the updated one', () => {
    const created = wooSnapshotOf(woo(WOO_FIXTURES.created)).version;
    const updated = wooSnapshotOf(woo(WOO_FIXTURES.updated)).version;
    expect([created, updated]).toEqual(['2017-03-22T19:28:08.000Z', '2017-03-22T19:30:35.000Z']);
    expect(created < updated).toBe(true);
  });

  it.each(['2025-04-02T11:30:48', '2025-04-02 11:30:48-05:00', '2025-02-30T11:30:48-05:00', '2025-04-02T24:00:00Z', '2025-04-02T11:30:48+24:00', '1969-12-31T23:59:59Z', ''])(
    'Shopify updated_at %j is refused, naming updated_at',
    (text) => {
      const order = shopify('orders-create.json');
      order.updated_at = text;
      expect(fieldsOf(refusal(() => shopifySnapshotOf(order)))).toEqual(['updated_at']);
    },
  );

  it.each(['2017-03-22T19:30:35-03:00', '2017-03-22', 1490211035])('WooCommerce date_modified_gmt %j is refused', (value) => {
    const order = woo(WOO_FIXTURES.updated);
    order.date_modified_gmt = value;
    expect(fieldsOf(refusal(() => wooSnapshotOf(order)))).toEqual(['date_modified_gmt']);
  });
});

describe('big ids are kept digit for digit', () => {
  it('a 64-bit Shopify order id and fulfillment id, and two line item ids that one JS number would confuse', () => {
    const body = editedShopifyFixture('orders-partially-fulfilled.derived.json', [
      ['"id": 450789469,', '"id": 18446744073709551615,'],
      ['"id": 255858046,', '"id": 9223372036854775807,'],
    ]);
    // GREEN (shipped 1) and RED differ only past 2^53: as numbers both would be 9007199254740992
    const text = body.toString('utf8').replaceAll('"id": 466157049,', '"id": 9007199254740993,').replaceAll('"id": 518995019,', '"id": 9007199254740992,');
    const snapshot = shopifySnapshotOf(bodyOf(Buffer.from(text)));
    expect(snapshot.orderId).toBe('18446744073709551615');
    expect(snapshot.parcels).toEqual([{ id: '9223372036854775807', lines: [{ sku: 'IPOD2008GREEN', quantity: 1 }] }]);
  });

  it('a 64-bit WooCommerce order id', () => {
    expect(wooSnapshotOf(bodyOf(wooOrderBody(WOO_FIXTURES.updated, { id: '9007199254740993' }))).orderId).toBe('9007199254740993');
  });

  it('64-bit ids in an order edit and a fulfillment', () => {
    const edit = editedShopifyFixture('orders-edited.constructed.json', [
      ['"order_id": 450789469,', '"order_id": 9007199254740993,'],
      ['"id": 518995019,', '"id": 9007199254740995,'],
    ]);
    expect(shopifyOrderEditOf(bodyOf(edit))).toMatchObject({ orderId: '9007199254740993', removals: [{ lineItemId: '9007199254740995', delta: 1 }] });
    const parcel = editedShopifyFixture('fulfillments-create.json', [
      ['"order_id": 450789469,', '"order_id": 9007199254740993,'],
      ['"id": 1069019868,', '"id": 9007199254740997,'],
    ]);
    expect(shopifyFulfillmentOf(bodyOf(parcel))).toMatchObject({ orderId: '9007199254740993', parcel: { id: '9007199254740997' } });
  });
});

describe('bad fields are named, every one', () => {
  it('Shopify order', () => {
    const order = shopify('orders-partially-fulfilled.derived.json');
    order.id = 1.5;
    delete order.updated_at;
    order.cancelled_at = 'yesterday';
    at(order, 'line_items', 0).sku = 5;
    at(order, 'line_items', 1).current_quantity = -1;
    at(order, 'line_items', 2).price = 'free';
    order.total_price = 'a lot';
    const shipped = (at(order, 'fulfillments', 0).line_items as Record<string, unknown>[])[0];
    shipped.quantity = '1';
    expect(fieldsOf(refusal(() => shopifySnapshotOf(order)))).toEqual([
      'id',
      'updated_at',
      'cancelled_at',
      'total_price',
      'line_items[0].sku',
      'line_items[1].current_quantity',
      'line_items[2].price',
      'fulfillments[0].line_items[0].quantity',
    ]);
  });

  it('Shopify order: quantity is named when current_quantity is absent', () => {
    const order = shopify('orders-create.json');
    delete at(order, 'line_items', 0).current_quantity;
    at(order, 'line_items', 0).quantity = 0.5;
    expect(fieldsOf(refusal(() => shopifySnapshotOf(order)))).toEqual(['line_items[0].quantity']);
  });

  it('Shopify order: a shipped fulfillment naming no line of the order', () => {
    const order = shopify('orders-partially-fulfilled.derived.json');
    (at(order, 'fulfillments', 0).line_items as Record<string, unknown>[])[0].id = 1071823206;
    expect(fieldsOf(refusal(() => shopifySnapshotOf(order)))).toEqual(['fulfillments[0].line_items[0].id']);
    at(order, 'fulfillments', 0).status = 'failure'; // not shipped: its lines are not read
    expect(shopifySnapshotOf(order).parcels).toEqual([]);
  });

  it('Shopify order: a shipped fulfillment without an id', () => {
    const order = shopify('orders-partially-fulfilled.derived.json');
    delete at(order, 'fulfillments', 0).id;
    expect(fieldsOf(refusal(() => shopifySnapshotOf(order)))).toEqual(['fulfillments[0].id']);
  });

  it('Shopify order: line_items and fulfillments that are not lists', () => {
    const order = shopify('orders-updated.json');
    order.line_items = {};
    order.fulfillments = 'none';
    expect(fieldsOf(refusal(() => shopifySnapshotOf(order)))).toEqual(['line_items', 'fulfillments']);
  });

  it('WooCommerce order', () => {
    const order = woo(WOO_FIXTURES.updated);
    order.id = null;
    order.status = 3;
    at(order, 'line_items', 0).quantity = 1.5;
    order.total = '-1';
    at(order, 'line_items', 1).sku = {};
    expect(fieldsOf(refusal(() => wooSnapshotOf(order)))).toEqual(['id', 'status', 'total', 'line_items[0].quantity', 'line_items[1].sku']);
  });

  it('Shopify order edit', () => {
    expect(fieldsOf(refusal(() => shopifyOrderEditOf({})))).toEqual(['order_edit']);
    const body = shopify('orders-edited.constructed.json');
    const edit = body.order_edit as Record<string, unknown>;
    const lineItems = edit.line_items as Record<string, unknown>;
    edit.order_id = -1;
    edit.committed_at = null; // before 2024-07: created_at is the edit's time
    edit.created_at = 'soon';
    at(lineItems, 'additions', 0).delta = 0;
    at(lineItems, 'removals', 0).id = '1e400';
    expect(fieldsOf(refusal(() => shopifyOrderEditOf(body)))).toEqual([
      'order_edit.order_id',
      'order_edit.created_at',
      'order_edit.line_items.additions[0].delta',
      'order_edit.line_items.removals[0].id',
    ]);
  });

  it('Shopify fulfillment', () => {
    const parcel = shopify('fulfillments-create.json');
    parcel.order_id = 'x'.repeat(200);
    parcel.id = null;
    at(parcel, 'line_items', 0).quantity = -2;
    expect(fieldsOf(refusal(() => shopifyFulfillmentOf(parcel)))).toEqual(['order_id', 'id', 'line_items[0].quantity']);
  });

  it('a fulfillment that did not ship says so, with its status', () => {
    const parcel = shopify('fulfillments-create.json');
    parcel.status = 'cancelled';
    expect(shopifyFulfillmentOf(parcel)).toMatchObject({ shipped: false, status: 'cancelled' });
  });
});
