import { describe, expect, it } from '@jest/globals';
import type { IncomingHttpHeaders } from 'node:http';
import type { OrderCommand } from '../../src/orders/order-commands.js';
import type { DeliveryCommand } from '../../src/webhooks/providers/provider.js';
import { PROVIDERS } from '../../src/webhooks/webhook-sources.js';
import {
  CUSTOMER_PLACEHOLDER,
  FULFILLMENT_NOT_SHIPPED,
  PARCEL_WITHOUT_SKU,
  READ_FROM_ORDER_UPDATE,
  REFUND_RESTOCKS_NOTHING,
  SHOPIFY_TOPICS,
  ShopifyProvider,
  UNKNOWN_TOPIC,
} from '../../src/webhooks/providers/shopify.provider.js';
import { editedShopifyFixture, shopifyFixture } from '../support/shopify.js';
import { fieldsOf, refusal } from '../support/refusal.js';

const provider = new ShopifyProvider();

/** Both steps of the provider on bytes and headers, as the pipeline runs them. */
function read(body: Buffer, topic: string, headers: IncomingHttpHeaders = {}): DeliveryCommand & { eventId: string; eventType: string } {
  const identified = provider.identify(body, { 'x-shopify-topic': topic, 'x-shopify-event-id': 'evt-1', ...headers });
  return { eventId: identified.eventId, eventType: identified.eventType, ...provider.commandOf(identified) };
}


const lifecycle = (orderId: string, event: string, reason: string | null = null): OrderCommand =>
  ({ kind: 'lifecycle', orderId, event, reason, restock: false }) as OrderCommand;

/** Shopify's canonical order #1001 (3 lines, one of each IPOD2008 colour), as created. */
const ORDER_1001 = {
  kind: 'create_order',
  orderId: '450789469',
  customerName: 'Bob Norman',
  customerEmail: 'bob.norman@mail.example.com',
  totalAmount: 598.94,
  currency: 'USD',
  lines: [
    { sku: 'IPOD2008GREEN', quantity: 1, unitPrice: 199 },
    { sku: 'IPOD2008RED', quantity: 1, unitPrice: 199 },
    { sku: 'IPOD2008BLACK', quantity: 1, unitPrice: 199 },
  ],
};
/** #1001 as its samples now stand: GREEN and BLACK refunded whole (current_quantity 0), RED asked for; $598.94. */
const edit1001 = (version: string): OrderCommand => ({
  kind: 'edit_order',
  orderId: '450789469',
  lines: [
    { sku: 'IPOD2008GREEN', quantity: 0, unitPrice: 199 },
    { sku: 'IPOD2008RED', quantity: 1, unitPrice: 199 },
    { sku: 'IPOD2008BLACK', quantity: 0, unitPrice: 199 },
  ],
  version,
  totalAmount: 598.94,
});
/** The versions of #1001's samples (updated_at in UTC). */
const V = {
  order: '2008-01-10T16:00:00.000Z',
  updated: '2025-04-02T16:30:48.000Z',
  cancelled: '2025-04-02T16:31:25.000Z',
  partial: '2025-04-02T16:38:38.000Z',
};
/** #1001 is `partially_refunded`: it was paid, so every snapshot of it says so. */
const PAID_1001 = lifecycle('450789469', 'payment_succeeded');
/** Fulfillment 255858046 of #1001 made `success` (the derived sample): GREEN's one unit, by the fulfillment's id. */
const PARCEL_255858046 = { id: '255858046', lines: [{ sku: 'IPOD2008GREEN', quantity: 1 }] };
const fulfilledWith = (orderId: string, parcel?: unknown): OrderCommand => ({ ...lifecycle(orderId, 'order_fulfilled'), ...(parcel ? { parcel } : {}) }) as OrderCommand;

describe('the shopify provider maps each topic of the contract', () => {
  it.each<[string, string, Buffer, DeliveryCommand]>([
    [
      'orders/create (partially_refunded: it was paid) -> create_order with its version, then payment_succeeded',
      'orders/create',
      shopifyFixture('order-450789469.json'),
      { orderId: '450789469', commands: [{ ...ORDER_1001, version: V.order } as OrderCommand, PAID_1001] },
    ],
    [
      'orders/create with financial_status paid -> create_order, then payment_succeeded',
      'orders/create',
      shopifyFixture('orders-create.json'),
      {
        orderId: '1073459966',
        commands: [
          {
            kind: 'create_order',
            orderId: '1073459966',
            customerName: CUSTOMER_PLACEHOLDER,
            customerEmail: null,
            totalAmount: 199,
            currency: 'USD',
            lines: [{ sku: 'IPOD2009BLACK', quantity: 1, unitPrice: 199 }],
            version: '2025-04-02T16:30:54.000Z',
          },
          lifecycle('1073459966', 'payment_succeeded'),
        ],
      },
    ],
    ['orders/updated -> edit_order (current quantities, version, total), payment_succeeded', 'orders/updated', shopifyFixture('orders-updated.json'), { orderId: '450789469', commands: [edit1001(V.updated), PAID_1001] }],
    ['orders/paid -> the same snapshot: edit_order, payment_succeeded', 'orders/paid', shopifyFixture('order-450789469.json'), { orderId: '450789469', commands: [edit1001(V.order), PAID_1001] }],
    [
      'orders/cancelled -> edit_order, payment_succeeded, order_cancelled with the cancel_reason',
      'orders/cancelled',
      shopifyFixture('orders-cancelled.json'),
      { orderId: '450789469', commands: [edit1001(V.cancelled), PAID_1001, lifecycle('450789469', 'order_cancelled', 'other')] },
    ],
    [
      'orders/partially_fulfilled -> edit_order, payment_succeeded, order_fulfilled of the shipped parcel by its id',
      'orders/partially_fulfilled',
      shopifyFixture('orders-partially-fulfilled.derived.json'),
      { orderId: '450789469', commands: [edit1001(V.partial), PAID_1001, fulfilledWith('450789469', PARCEL_255858046)] },
    ],
    [
      'orders/fulfilled listing its shipped parcel -> order_fulfilled of that parcel, none without',
      'orders/fulfilled',
      editedShopifyFixture('orders-partially-fulfilled.derived.json', [['"fulfillment_status": "partial",', '"fulfillment_status": "fulfilled",']]),
      { orderId: '450789469', commands: [edit1001(V.partial), PAID_1001, fulfilledWith('450789469', PARCEL_255858046)] },
    ],
    [
      'orders/fulfilled listing no shipped parcel (its one fulfillment is failure) -> order_fulfilled without parcel',
      'orders/fulfilled',
      editedShopifyFixture('orders-updated.json', [['"fulfillment_status": null,', '"fulfillment_status": "fulfilled",']]),
      { orderId: '450789469', commands: [edit1001(V.updated), PAID_1001, fulfilledWith('450789469')] },
    ],
    [
      'orders/fulfilled of the sample as published (fulfillment_status null, no parcel shipped): the snapshot alone',
      'orders/fulfilled',
      shopifyFixture('order-450789469.json'),
      { orderId: '450789469', commands: [edit1001(V.order), PAID_1001] },
    ],
    [
      'fulfillments/create (success) -> order_fulfilled with the parcel: the fulfillment id, its units per SKU',
      'fulfillments/create',
      shopifyFixture('fulfillments-create.json'),
      { orderId: '450789469', commands: [fulfilledWith('450789469', { id: '1069019868', lines: [{ sku: 'crafty_shoes_red', quantity: 1 }] })] },
    ],
    [
      'orders/edited -> nothing: ignored read_from_order_update (the orders/updated that follows carries the edit)',
      'orders/edited',
      shopifyFixture('orders-edited.constructed.json'),
      { orderId: '450789469', commands: [], ignoredReason: READ_FROM_ORDER_UPDATE },
    ],
    ['another topic (app/uninstalled) -> nothing, ignored as unknown_topic', 'app/uninstalled', Buffer.from('{"id":1}'), { orderId: null, commands: [], ignoredReason: UNKNOWN_TOPIC }],
    ['another topic (orders/delete) -> nothing, ignored as unknown_topic', 'orders/delete', shopifyFixture('order-450789469.json'), { orderId: null, commands: [], ignoredReason: UNKNOWN_TOPIC }],
  ])('%s', (_what, topic, body, expected) => {
    const delivery = read(body, topic);
    expect(delivery).toEqual({ eventId: 'evt-1', eventType: topic, ...expected });
  });

  it.each(['cancelled', 'failure', 'error', 'pending', 'open'])('fulfillments/create with status %s ships nothing: ignored, naming the status', (status) => {
    const body = editedShopifyFixture('fulfillments-create.json', [['"status": "success"', `"status": "${status}"`]]);
    expect(read(body, 'fulfillments/create')).toMatchObject({ orderId: '450789469', commands: [], ignoredReason: `${FULFILLMENT_NOT_SHIPPED}: ${status}` });
  });

  it('fulfillments/create of lines without a SKU only ships nothing stocked: ignored parcel_without_sku', () => {
    const body = editedShopifyFixture('fulfillments-create.json', [['"sku": "crafty_shoes_red"', '"sku": null']]);
    expect(read(body, 'fulfillments/create')).toMatchObject({ orderId: '450789469', commands: [], ignoredReason: PARCEL_WITHOUT_SKU });
  });

  it("a parcel told by fulfillments/create and again inside the order's snapshot is the same parcel: one id, the same units", () => {
    const order = shopifyFixture('orders-partially-fulfilled.derived.json');
    const fulfillment = (JSON.parse(order.toString()) as { fulfillments: unknown[] }).fulfillments[0];
    const told = read(Buffer.from(JSON.stringify(fulfillment)), 'fulfillments/create').commands;
    const again = read(order, 'orders/partially_fulfilled').commands.filter((c) => c.kind === 'lifecycle' && c.parcel);
    expect(told).toEqual([fulfilledWith('450789469', PARCEL_255858046)]);
    expect(again).toEqual(told);
  });

  it("a fulfillment's units of two line items of one SKU are one parcel line", () => {
    const body = Buffer.from(
      JSON.stringify({
        id: 77,
        order_id: 7,
        status: 'success',
        line_items: [
          { id: 70, sku: 'A', quantity: 2 },
          { id: 71, sku: 'B', quantity: 1 },
          { id: 72, sku: 'A', quantity: 1 },
          { id: 73, sku: null, quantity: 4 },
        ],
      }),
    );
    expect(read(body, 'fulfillments/create').commands).toEqual([fulfilledWith('7', { id: '77', lines: [{ sku: 'A', quantity: 3 }, { sku: 'B', quantity: 1 }] })]);
  });

  it('understands exactly the mapped topics', () => {
    for (const topic of SHOPIFY_TOPICS) expect(provider.understands(topic)).toBe(true);
    expect([...SHOPIFY_TOPICS].sort()).toEqual(
      ['fulfillments/create', 'orders/cancelled', 'orders/create', 'orders/edited', 'orders/fulfilled', 'orders/paid', 'orders/partially_fulfilled', 'orders/updated', 'refunds/create'],
    );
    for (const topic of ['orders/delete', 'app/uninstalled', 'refunds', 'fulfillments/update', 'ORDERS/CREATE']) expect(provider.understands(topic)).toBe(false);
  });

  it('is registered as a provider name', () => {
    expect(PROVIDERS).toContain('shopify');
  });
});

describe('refunds/create', () => {
  /** order_refunded, if the units refunded cover every line of the order (the domain knows its lines; the refund does not). */
  const refundIfAll = (orderId: string, lines: { sku: string | null; quantity: number }[]) => ({ ...lifecycle(orderId, 'order_refunded'), onlyIfRefunding: lines });
  it.each<[string, Buffer, DeliveryCommand]>([
    [
      "Shopify's sample refund (no_restock, one of three lines): nothing to restock; an order refund if that one line is all the order has",
      shopifyFixture('refunds-create.json'),
      { orderId: '450789469', commands: [refundIfAll('450789469', [{ sku: 'IPOD2008RED', quantity: 1 }])] },
    ],
    [
      'legacy_restock lines are not return or cancel: they restock nothing',
      shopifyFixture('refunds-create.legacy-restock.json'),
      { orderId: '450789469', commands: [refundIfAll('450789469', [{ sku: 'IPOD2008BLACK', quantity: 1 }, { sku: 'IPOD2008GREEN', quantity: 1 }])] },
    ],
    [
      'return and cancel lines come back (return_units), before the refund of the order',
      editedShopifyFixture('refunds-create.legacy-restock.json', [
        ['"restock_type": "legacy_restock"', '"restock_type": "return"'],
        ['"restock_type": "legacy_restock"', '"restock_type": "cancel"'],
      ]),
      {
        orderId: '450789469',
        commands: [
          // the returned (shipped) units and the cancelled (unshipped) ones come back apart: one back on hand, one released
          { kind: 'return_units', orderId: '450789469', lines: [{ sku: 'IPOD2008BLACK', quantity: 1 }], shipped: true },
          { kind: 'return_units', orderId: '450789469', lines: [{ sku: 'IPOD2008GREEN', quantity: 1 }], shipped: false },
          refundIfAll('450789469', [{ sku: 'IPOD2008BLACK', quantity: 1 }, { sku: 'IPOD2008GREEN', quantity: 1 }]),
        ],
      },
    ],
    [
      'a return of part of a line: its units come back; the order refund holds only for the units named',
      editedShopifyFixture('refunds-create.json', [
        ['"restock_type": "no_restock"', '"restock_type": "return"'],
        ['"quantity": 1,\n        "sku"', '"quantity": 3,\n        "sku"'],
      ]),
      {
        orderId: '450789469',
        commands: [
          { kind: 'return_units', orderId: '450789469', lines: [{ sku: 'IPOD2008RED', quantity: 1 }], shipped: true },
          refundIfAll('450789469', [{ sku: 'IPOD2008RED', quantity: 1 }]),
        ],
      },
    ],
    [
      'no_restock: nothing comes back; an order refund if the units named are all the order has',
      editedShopifyFixture('refunds-create.json', [['"quantity": 1,\n        "sku"', '"quantity": 2,\n        "sku"']]),
      { orderId: '450789469', commands: [refundIfAll('450789469', [{ sku: 'IPOD2008RED', quantity: 1 }])] },
    ],
    [
      'a return of a line without a SKU restocks nothing (its units still count towards the refund)',
      editedShopifyFixture('refunds-create.json', [
        ['"restock_type": "no_restock"', '"restock_type": "return"'],
        ['"sku": "IPOD2008RED"', '"sku": null'],
      ]),
      { orderId: '450789469', commands: [refundIfAll('450789469', [{ sku: null, quantity: 1 }])] },
    ],
    ['a refund with no line (shipping only): nothing to do', Buffer.from('{"id":1,"order_id":450789469,"refund_line_items":[]}'), { orderId: '450789469', commands: [], ignoredReason: REFUND_RESTOCKS_NOTHING }],
  ])('%s', (_what, body, expected) => {
    expect(read(body, 'refunds/create')).toEqual({ eventId: 'evt-1', eventType: 'refunds/create', ...expected });
  });

  it('adds up the refunded units of one SKU over two refund lines; its returned and cancelled units come back apart', () => {
    const body = Buffer.from(
      JSON.stringify({
        order_id: 7,
        refund_line_items: [
          { line_item_id: 70, quantity: 1, restock_type: 'return', line_item: { id: 70, sku: 'A', quantity: 3 } },
          { line_item_id: 70, quantity: 2, restock_type: 'cancel', line_item: { id: 70, sku: 'A', quantity: 3 } },
        ],
      }),
    );
    expect(read(body, 'refunds/create').commands).toEqual([
      { kind: 'return_units', orderId: '7', lines: [{ sku: 'A', quantity: 1 }], shipped: true },
      { kind: 'return_units', orderId: '7', lines: [{ sku: 'A', quantity: 2 }], shipped: false },
      refundIfAll('7', [{ sku: 'A', quantity: 3 }]),
    ]);
  });

  it('refuses a refund naming no order, or a bad quantity, naming the field', () => {
    expect(fieldsOf(refusal(() => read(Buffer.from('{"id":1,"refund_line_items":[]}'), 'refunds/create')))).toEqual(['order_id']);
    const body = Buffer.from('{"order_id":1,"refund_line_items":[{"quantity":0,"restock_type":"return","line_item":{"sku":"A","quantity":1}}]}');
    expect(fieldsOf(refusal(() => read(body, 'refunds/create')))).toEqual(['refund_line_items[0].quantity']);
  });
});

describe('orders/create lines and customer', () => {
  const order = (fields: Record<string, unknown>) =>
    Buffer.from(JSON.stringify({ id: 1, updated_at: '2025-04-02T11:30:54-05:00', total_price: '10.00', currency: 'usd', financial_status: 'pending', ...fields }));
  const created = (body: Buffer) => read(body, 'orders/create').commands[0] as Extract<OrderCommand, { kind: 'create_order' }>;

  it('adds up the lines of one SKU into one line; keeps lines without a SKU (null or "") as they are', () => {
    const lines = created(
      order({
        line_items: [
          { sku: 'A', quantity: 1, price: '2.50' },
          { sku: null, quantity: 2, price: '1.00' },
          { sku: 'B', quantity: 1, price: '4.00' },
          { sku: 'A', quantity: 2, price: '2.50' },
          { sku: '', quantity: 1, price: '3.00' },
          { sku: 'B', quantity: 5, price: '3.00' },
        ],
      }),
    ).lines;
    expect(lines).toEqual([
      { sku: 'A', quantity: 3, unitPrice: 2.5 },
      { sku: null, quantity: 2, unitPrice: 1 },
      // Two prices for one SKU: no single unit price.
      { sku: 'B', quantity: 6, unitPrice: null },
      { sku: null, quantity: 1, unitPrice: 3 },
    ]);
  });

  it.each<[string, Record<string, unknown>, string, string | null]>([
    ['customer first and last name', { customer: { first_name: 'Ada', last_name: 'Lovelace' }, billing_address: { name: 'Bill Payer' } }, 'Ada Lovelace', null],
    ['customer first name only', { customer: { first_name: 'Ada', last_name: null } }, 'Ada', null],
    ['else the billing name', { customer: { first_name: null, last_name: ' ' }, billing_address: { name: 'Bill Payer', first_name: 'B' } }, 'Bill Payer', null],
    ['else the billing first and last name', { customer: null, billing_address: { first_name: 'Bill', last_name: 'Payer' } }, 'Bill Payer', null],
    ["else the customer's email", { customer: { email: 'ada@example.com' }, email: '' }, 'ada@example.com', 'ada@example.com'],
    ["else the order's email", { customer: null, email: 'buyer@example.com' }, 'buyer@example.com', 'buyer@example.com'],
    ['else the contact email', { email: '', contact_email: 'contact@example.com' }, 'contact@example.com', 'contact@example.com'],
    ['else the placeholder', { customer: null, billing_address: null, email: '' }, CUSTOMER_PLACEHOLDER, null],
    ['control characters become spaces, an unpaired surrogate U+FFFD', { customer: { first_name: 'A\u0007da', last_name: 'L\uD800' } }, 'A da L\uFFFD', null],
  ])('customer name: %s', (_what, fields, name, email) => {
    const command = created(order(fields));
    expect(command.customerName).toBe(name);
    expect(command.customerEmail).toBe(email);
  });

  it('keeps the order email beside a customer name', () => {
    expect(created(order({ email: 'bob@example.com', customer: { first_name: 'Bob', last_name: 'N' } }))).toMatchObject({
      customerName: 'Bob N',
      customerEmail: 'bob@example.com',
      currency: 'USD',
      totalAmount: 10,
    });
  });

  it('is paid on creation when financial_status says it was paid: paid, partially_refunded, refunded', () => {
    for (const status of ['pending', 'authorized', 'partially_paid', 'voided']) {
      expect(read(order({ financial_status: status }), 'orders/create').commands.map((c) => c.kind)).toEqual(['create_order']);
    }
    for (const status of ['paid', 'partially_refunded', 'refunded']) {
      expect(read(order({ financial_status: status }), 'orders/create').commands).toEqual([expect.objectContaining({ kind: 'create_order' }), lifecycle('1', 'payment_succeeded')]);
    }
  });

  it('an order created already cancelled, or with a parcel shipped, says so after its creation', () => {
    const parcel = { id: 9, status: 'success', line_items: [{ id: 90, sku: 'A', quantity: 1 }] };
    const body = order({ line_items: [{ id: 90, sku: 'A', quantity: 2, price: '5.00' }], fulfillments: [parcel], cancelled_at: '2025-04-02T11:31:00-05:00', cancel_reason: 'fraud' });
    expect(read(body, 'orders/create').commands).toEqual([
      expect.objectContaining({ kind: 'create_order', version: '2025-04-02T16:30:54.000Z', lines: [{ sku: 'A', quantity: 2, unitPrice: 5 }] }),
      fulfilledWith('1', { id: '9', lines: [{ sku: 'A', quantity: 1 }] }),
      lifecycle('1', 'order_cancelled', 'fraud'),
    ]);
  });

  it.each<[string, Record<string, unknown>, string | null]>([
    ['an order email that is not one', { email: 'not an email', contact_email: null, customer: null }, null],
    ['a contact email with a control character', { email: null, contact_email: 'a\u0001b@example.com', customer: null }, null],
    ["a customer's email with a NUL", { email: null, contact_email: null, customer: { email: 'a\u0000@example.com' } }, null],
    ['an email with a lone surrogate, then a good one', { email: 'a\ud800@example.com', contact_email: 'b@example.com', customer: null }, 'b@example.com'],
  ])('passes over %s: the order is kept, with the first email that is one (%s)', (_what, fields, email) => {
    const command = created(order(fields));
    expect(command.customerEmail).toBe(email);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['an id with a NUL', { id: 'a\u0000b' }, 'id'],
    ['an id with a lone surrogate', { id: '\ud800' }, 'id'],
    ['a total above 10^12', { total_price: '1000000000000.01' }, 'total_price'],
  ])('refuses %s, naming %s', (_what, fields, field) => {
    expect(fieldsOf(refusal(() => created(order(fields))))).toEqual([field]);
  });

  it('cleans a cancel reason (it only informs): control characters as spaces, a lone surrogate as U+FFFD', () => {
    const body = Buffer.from(JSON.stringify({ id: 1, updated_at: '2025-04-02T11:31:25-05:00', cancelled_at: '2025-04-02T11:31:25-05:00', cancel_reason: 'cus\u0000tomer\ud800' }));
    expect(read(body, 'orders/cancelled').commands).toEqual([
      { kind: 'edit_order', orderId: '1', lines: [], version: '2025-04-02T16:31:25.000Z' },
      lifecycle('1', 'order_cancelled', 'cus tomer\uFFFD'),
    ]);
  });

  it('refuses bad fields, naming each', () => {
    const error = refusal(() =>
      read(Buffer.from('{"total_price":"-1","currency":"dollars","line_items":[{"sku":7,"quantity":0,"price":"x"}]}'), 'orders/create'),
    );
    expect(error.status).toBe(400);
    expect(fieldsOf(error)).toEqual(['id', 'total_price', 'currency', 'line_items[0].sku', 'line_items[0].quantity', 'line_items[0].price', 'updated_at']);
  });
});

describe('64-bit ids', () => {
  it('keeps an order id beyond 2^53 digit for digit, through both steps', () => {
    const body = shopifyFixture('orders-create.64-bit-ids.json');
    // The bytes name 9007199254740993, which JSON.parse would round to ...992.
    expect(body.toString()).toContain('"id": 9007199254740993,');
    expect(String((JSON.parse(body.toString()) as { id: number }).id)).toBe('9007199254740992');
    const delivery = read(body, 'orders/create');
    expect(delivery.orderId).toBe('9007199254740993');
    expect(delivery.commands.map((c) => c.orderId)).toEqual(['9007199254740993', '9007199254740993']);
  });

  it('keeps a 64-bit order id on lifecycle topics and on refunds', () => {
    const body = shopifyFixture('orders-create.64-bit-ids.json');
    expect(read(body, 'orders/paid').orderId).toBe('9007199254740993');
    const refund = editedShopifyFixture('refunds-create.json', [['"order_id": 450789469', '"order_id": 18446744073709551615']]);
    expect(read(refund, 'refunds/create').commands[0].orderId).toBe('18446744073709551615');
  });
});

describe('identify: headers', () => {
  const body = shopifyFixture('order-450789469.json');

  it('takes x-shopify-event-id, else x-shopify-webhook-id', () => {
    const both = provider.identify(body, { 'x-shopify-topic': 'orders/paid', 'x-shopify-event-id': 'ev-9', 'x-shopify-webhook-id': 'wh-9' });
    expect(both.eventId).toBe('ev-9');
    const webhookOnly = provider.identify(body, { 'x-shopify-topic': 'orders/paid', 'x-shopify-webhook-id': 'wh-9' });
    expect(webhookOnly).toMatchObject({ eventId: 'wh-9', eventType: 'orders/paid' });
  });

  it.each<[string, IncomingHttpHeaders, string[]]>([
    ['no event id header', { 'x-shopify-topic': 'orders/paid' }, ['x-shopify-event-id']],
    ['blank event id headers', { 'x-shopify-topic': 'orders/paid', 'x-shopify-event-id': ' ', 'x-shopify-webhook-id': '' }, ['x-shopify-event-id']],
    ['no topic header', { 'x-shopify-webhook-id': 'wh-1' }, ['x-shopify-topic']],
    ['neither', {}, ['x-shopify-event-id', 'x-shopify-topic']],
  ])('refuses %s with a 400 naming the header', (_what, headers, fields) => {
    const error = refusal(() => provider.identify(body, headers));
    expect(error.status).toBe(400);
    expect(fieldsOf(error)).toEqual(fields);
    expect(error.message).toContain(fields[0]);
  });

  it('refuses a body that is not a JSON object', () => {
    const headers = { 'x-shopify-topic': 'orders/paid', 'x-shopify-webhook-id': 'wh-1' };
    expect(fieldsOf(refusal(() => provider.identify(Buffer.from('[1]'), headers)))).toEqual(['body']);
    expect(fieldsOf(refusal(() => provider.identify(Buffer.from('{"id":'), headers)))).toEqual(['body']);
  });

  it('refuses an order topic whose body names no order id', () => {
    expect(fieldsOf(refusal(() => read(Buffer.from('{"name":"#1001"}'), 'orders/paid')))).toEqual(['id', 'updated_at']);
    expect(fieldsOf(refusal(() => read(Buffer.from('{"id":77,"status":"success"}'), 'fulfillments/create')))).toEqual(['order_id']);
    expect(fieldsOf(refusal(() => read(Buffer.from('{"id":77}'), 'orders/edited')))).toEqual(['order_edit']);
  });
});
