import { describe, expect, it } from '@jest/globals';
import { readJson } from '../../src/webhooks/providers/input-rules.js';
import {
  type OrderSnapshot,
  shopifyOrderEditOf,
  shopifyParcelOf,
  shopifySnapshotOf,
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
  { sku: 'IPOD2008GREEN', quantity: 0, shipped: 0, unitPrice: 199 },
  { sku: 'IPOD2008RED', quantity: 1, shipped: 0, unitPrice: 199 },
  { sku: 'IPOD2008BLACK', quantity: 0, shipped: 0, unitPrice: 199 },
];

describe('order snapshots: each published sample, read', () => {
  it.each<[string, OrderSnapshot]>([
    ['order-450789469.json', { orderId: '450789469', version: '2008-01-10T16:00:00.000Z', lines: ORDER_1001_LINES, cancelled: false }],
    ['orders-updated.json', { orderId: '450789469', version: '2025-04-02T16:30:48.000Z', lines: ORDER_1001_LINES, cancelled: false }],
    [
      // the GREEN unit shipped (fulfillment 255858046 made `success`) and was refunded after: shipped 1 of 0 asked for
      'orders-partially-fulfilled.derived.json',
      {
        orderId: '450789469',
        version: '2025-04-02T16:38:38.000Z',
        lines: [{ ...ORDER_1001_LINES[0], shipped: 1 }, ORDER_1001_LINES[1], ORDER_1001_LINES[2]],
        cancelled: false,
      },
    ],
    // cancelling leaves current_quantity as it was: the cancellation is its own fact
    ['orders-cancelled.json', { orderId: '450789469', version: '2025-04-02T16:31:25.000Z', lines: ORDER_1001_LINES, cancelled: true }],
    [
      'orders-create.json',
      { orderId: '1073459966', version: '2025-04-02T16:30:54.000Z', lines: [{ sku: 'IPOD2009BLACK', quantity: 1, shipped: 0, unitPrice: 199 }], cancelled: false },
    ],
  ])('Shopify %s', (name, snapshot) => {
    expect(shopifySnapshotOf(shopify(name))).toEqual(snapshot);
  });

  it.each<[string, OrderSnapshot]>([
    [
      WOO_FIXTURES.created,
      {
        orderId: '727',
        version: '2017-03-22T19:28:08.000Z',
        lines: [
          { sku: null, quantity: 2, shipped: 0, unitPrice: 3 },
          { sku: 'Bar3', quantity: 1, shipped: 0, unitPrice: 12 },
        ],
        cancelled: false,
      },
    ],
    [
      // `completed`: every unit shipped
      WOO_FIXTURES.updated,
      {
        orderId: '727',
        version: '2017-03-22T19:30:35.000Z',
        lines: [
          { sku: null, quantity: 2, shipped: 2, unitPrice: 3 },
          { sku: 'Bar3', quantity: 1, shipped: 1, unitPrice: 12 },
        ],
        cancelled: false,
      },
    ],
  ])('WooCommerce %s', (name, snapshot) => {
    expect(wooSnapshotOf(woo(name))).toEqual(snapshot);
  });

  it('Shopify fulfillments-create.json: one parcel, shipped, its units per line item', () => {
    expect(shopifyParcelOf(shopify('fulfillments-create.json'))).toEqual({
      orderId: '450789469',
      parcelId: '1069019868',
      shipped: true,
      items: [{ lineItemId: '1071823206', sku: 'crafty_shoes_red', quantity: 1 }],
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

describe('Shopify snapshot: quantity, shipped, cancelled', () => {
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
    expect(linesOf(order)).toEqual([{ sku: 'IPOD2009BLACK', quantity: 0, shipped: 0, unitPrice: 199 }]);
  });

  it('shipped counts only fulfillments with status success, per line item, parcels added up', () => {
    const order = shopify('orders-updated.json');
    const parcel = at(order, 'fulfillments', 0);
    const parcelLine = (parcel.line_items as Record<string, unknown>[])[0];
    const ofRed = (quantity: number, status: string) => ({ status, line_items: [{ ...parcelLine, id: 518995019, sku: 'IPOD2008RED', quantity }] });
    at(order, 'line_items', 1).current_quantity = 5;
    order.fulfillments = [parcel, ofRed(2, 'success'), ofRed(1, 'cancelled'), ofRed(1, 'open'), ofRed(1, 'success')];
    // 255858046 is Shopify's `failure`: GREEN never shipped; RED: two parcels of 2 and 1
    expect(linesOf(order).map((l) => [l.sku, l.quantity, l.shipped])).toEqual([
      ['IPOD2008GREEN', 0, 0],
      ['IPOD2008RED', 5, 3],
      ['IPOD2008BLACK', 0, 0],
    ]);
  });

  it('shipped is not read from fulfillable_quantity (which counts refunded units as done)', () => {
    const order = shopify('orders-updated.json');
    at(order, 'line_items', 1).fulfillable_quantity = 0; // as a refund or a pending fulfillment would leave it
    expect(linesOf(order)[1]).toEqual({ sku: 'IPOD2008RED', quantity: 1, shipped: 0, unitPrice: 199 });
  });

  it('lines of one SKU are one line: quantities and shipped units added up, the price kept only when every line has it', () => {
    const order = shopify('orders-partially-fulfilled.derived.json');
    at(order, 'line_items', 0).sku = 'IPOD2008RED'; // GREEN's line (1 shipped) now sells RED too, 2 units
    at(order, 'line_items', 0).current_quantity = 2;
    const parcel = at(order, 'fulfillments', 0);
    const parcelLine = (parcel.line_items as Record<string, unknown>[])[0];
    (order.fulfillments as unknown[]).push({ ...parcel, line_items: [{ ...parcelLine, id: 518995019, quantity: 1 }] }); // and RED's own line 1
    expect(linesOf(order)).toEqual([
      { sku: 'IPOD2008RED', quantity: 3, shipped: 2, unitPrice: 199 },
      { sku: 'IPOD2008BLACK', quantity: 0, shipped: 0, unitPrice: 199 },
    ]);
    at(order, 'line_items', 0).price = '150.00';
    expect(linesOf(order)[0].unitPrice).toBeNull();
  });

  it('lines without a SKU are kept apart', () => {
    const order = shopify('orders-updated.json');
    at(order, 'line_items', 0).sku = null;
    at(order, 'line_items', 2).sku = '';
    expect(linesOf(order).map((l) => l.sku)).toEqual([null, 'IPOD2008RED', null]);
  });

  it('cancelled is cancelled_at not null', () => {
    const order = shopify('orders-cancelled.json');
    expect(shopifySnapshotOf(order).cancelled).toBe(true);
    order.cancelled_at = null;
    expect(shopifySnapshotOf(order).cancelled).toBe(false);
  });
});

describe('WooCommerce snapshot: quantity, shipped, cancelled', () => {
  it.each([
    ['processing', [0, 0], false],
    ['on-hold', [0, 0], false],
    ['completed', [2, 1], false],
    ['cancelled', [0, 0], true],
    ['refunded', [0, 0], false],
  ])('status %s: shipped %j, cancelled %s', (status, shipped, cancelled) => {
    const snapshot = wooSnapshotOf(bodyOf(wooOrderBody(WOO_FIXTURES.updated, { status })));
    expect(snapshot.lines.map((l) => l.shipped)).toEqual(shipped);
    expect(snapshot.lines.map((l) => l.quantity)).toEqual([2, 1]);
    expect(snapshot.cancelled).toBe(cancelled);
  });

  it('an edited line quantity, a line removed, lines of one SKU added up', () => {
    const order = bodyOf(wooOrderBody(WOO_FIXTURES.created, { firstLineSku: 'Bar3' }));
    expect(wooSnapshotOf(order).lines).toEqual([{ sku: 'Bar3', quantity: 3, shipped: 0, unitPrice: null }]);
    at(order, 'line_items', 1).quantity = 4;
    expect(wooSnapshotOf(order).lines[0].quantity).toBe(6);
    order.line_items = [at(order, 'line_items', 1)];
    expect(wooSnapshotOf(order).lines).toEqual([{ sku: 'Bar3', quantity: 4, shipped: 0, unitPrice: 12 }]);
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
  it('a 64-bit Shopify order id, and two line item ids that one JS number would confuse', () => {
    const body = editedShopifyFixture('orders-partially-fulfilled.derived.json', [['"id": 450789469,', '"id": 18446744073709551615,']]);
    // GREEN (shipped 1) and RED differ only past 2^53: as numbers both would be 9007199254740992
    const text = body.toString('utf8').replaceAll('"id": 466157049,', '"id": 9007199254740993,').replaceAll('"id": 518995019,', '"id": 9007199254740992,');
    const snapshot = shopifySnapshotOf(bodyOf(Buffer.from(text)));
    expect(snapshot.orderId).toBe('18446744073709551615');
    expect(snapshot.lines.map((l) => [l.sku, l.shipped])).toEqual([
      ['IPOD2008GREEN', 1],
      ['IPOD2008RED', 0],
      ['IPOD2008BLACK', 0],
    ]);
  });

  it('a 64-bit WooCommerce order id', () => {
    expect(wooSnapshotOf(bodyOf(wooOrderBody(WOO_FIXTURES.updated, { id: '9007199254740993' }))).orderId).toBe('9007199254740993');
  });

  it('64-bit ids in an order edit and a parcel', () => {
    const edit = editedShopifyFixture('orders-edited.constructed.json', [
      ['"order_id": 450789469,', '"order_id": 9007199254740993,'],
      ['"id": 518995019,', '"id": 9007199254740995,'],
    ]);
    expect(shopifyOrderEditOf(bodyOf(edit))).toMatchObject({ orderId: '9007199254740993', removals: [{ lineItemId: '9007199254740995', delta: 1 }] });
    const parcel = editedShopifyFixture('fulfillments-create.json', [
      ['"order_id": 450789469,', '"order_id": 9007199254740993,'],
      ['"id": 1071823206,', '"id": 9007199254740997,'],
    ]);
    expect(shopifyParcelOf(bodyOf(parcel))).toMatchObject({ orderId: '9007199254740993', items: [{ lineItemId: '9007199254740997' }] });
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
    const shipped = (at(order, 'fulfillments', 0).line_items as Record<string, unknown>[])[0];
    shipped.quantity = '1';
    expect(fieldsOf(refusal(() => shopifySnapshotOf(order)))).toEqual([
      'id',
      'updated_at',
      'cancelled_at',
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
    expect(shopifySnapshotOf(order).lines.map((l) => l.shipped)).toEqual([0, 0, 0]);
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
    at(order, 'line_items', 1).sku = {};
    expect(fieldsOf(refusal(() => wooSnapshotOf(order)))).toEqual(['id', 'status', 'line_items[0].quantity', 'line_items[1].sku']);
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

  it('Shopify parcel', () => {
    const parcel = shopify('fulfillments-create.json');
    parcel.order_id = 'x'.repeat(200);
    at(parcel, 'line_items', 0).quantity = -2;
    expect(fieldsOf(refusal(() => shopifyParcelOf(parcel)))).toEqual(['order_id', 'line_items[0].quantity']);
  });

  it('a parcel that did not ship says so', () => {
    const parcel = shopify('fulfillments-create.json');
    parcel.status = 'cancelled';
    expect(shopifyParcelOf(parcel).shipped).toBe(false);
  });
});
