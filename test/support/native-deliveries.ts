import { createHash } from 'node:crypto';
import { LosslessNumber, parse as parseLossless, stringify as stringifyLossless } from 'lossless-json';
import { editedShopifyFixture, shopifyFixture, shopifyHmac } from './shopify.js';
import { WOO_FIXTURES, wooHeaders, wooOrderBody } from './woocommerce.js';

/**
 * Native deliveries for the workloads of the fault suite and the property
 * test: the gateways' own samples (test/fixtures/gateways/), edited only to
 * name the workload's order, its one SKU and quantity, and the state each
 * topic delivers, posted with the headers the gateway sends.
 */
export interface Delivery {
  /** What it is, for messages: `<order>:<step>`. */
  label: string;
  path: string;
  body: Buffer | string;
  /** The headers of one attempt (WooCommerce's delivery id changes with the second, so each attempt asks again). */
  headers(): Record<string, string>;
}

export interface NativeOrder {
  /** Digits: Shopify and WooCommerce order ids are integers. */
  orderId: string;
  sku: string;
  quantity: number;
}

export const SHOPIFY_PATH = '/webhooks/shop';
export const WOO_PATH = '/webhooks/woo';

/** The env of a service whose /webhooks/shop speaks shopify and /webhooks/woo woocommerce. */
export function nativeSourcesEnv(secrets: { shopify: string; woocommerce: string }): Record<string, string> {
  return {
    WEBHOOK_SHOP_PROVIDER: 'shopify',
    WEBHOOK_SHOP_SECRET: secrets.shopify,
    WEBHOOK_WOO_PROVIDER: 'woocommerce',
    WEBHOOK_WOO_SECRET: secrets.woocommerce,
  };
}

export const SHOPIFY_STEPS = ['orders/create', 'orders/paid', 'orders/fulfilled', 'refunds/create'] as const;
export type ShopifyStep = (typeof SHOPIFY_STEPS)[number];

/** When each topic's state was reached (`updated_at`): the bodies of one order differ per topic, as Shopify's do. */
const SHOPIFY_UPDATED_AT: Record<ShopifyStep, string> = {
  'orders/create': '2026-12-01T10:00:00-05:00',
  'orders/paid': '2026-12-01T10:00:07-05:00',
  'orders/fulfilled': '2026-12-01T10:03:12-05:00',
  'refunds/create': '2026-12-01T10:09:45-05:00',
};

/**
 * Shopify's newly created order 1073459966 (`orders-create.json`, one line
 * IPOD2009BLACK) as the topic delivers it: the order's id, its line's SKU and
 * units, and its state (`financial_status` pending until paid, the order's
 * and the line's `fulfillment_status` once fulfilled, `updated_at`). Every
 * other byte is Shopify's; `total_price` stays the sample's (Shopify's
 * orders/paid carries no payment amount that shelfsync checks).
 */
function shopifyOrderBody(order: NativeOrder, step: Exclude<ShopifyStep, 'refunds/create'>): Buffer {
  const paid = step !== 'orders/create';
  const fulfilled = step === 'orders/fulfilled';
  return editedShopifyFixture('orders-create.json', [
    ['"id": 1073459966,', `"id": ${order.orderId},`],
    ['"financial_status": "paid"', `"financial_status": "${paid ? 'paid' : 'pending'}"`],
    ['"fulfillment_status": null,\n  "landing_site"', `"fulfillment_status": ${fulfilled ? '"fulfilled"' : 'null'},\n  "landing_site"`],
    ['"updated_at": "2025-04-02T11:30:54-05:00"', `"updated_at": "${SHOPIFY_UPDATED_AT[step]}"`],
    [
      '"current_quantity": 1,\n      "fulfillable_quantity": 1,',
      `"current_quantity": ${order.quantity},\n      "fulfillable_quantity": ${fulfilled ? 0 : order.quantity},`,
    ],
    ['"fulfillment_status": null,\n      "gift_card"', `"fulfillment_status": ${fulfilled ? '"fulfilled"' : 'null'},\n      "gift_card"`],
    ['"quantity": 1,\n      "requires_shipping": true,\n      "sku": "IPOD2009BLACK"', `"quantity": ${order.quantity},\n      "requires_shipping": true,\n      "sku": ${JSON.stringify(order.sku)}`],
  ]);
}

/**
 * Shopify's sample refund (`refunds-create.json`) as a refund of every unit
 * of the order's one line, restocked as a `return`: it names the order, the
 * line (id 1071823177, the order's SKU and units), `restock_type` return and
 * `restock` true; its own id is made the order's (Shopify's refund ids are
 * unique).
 */
function shopifyRefundBody(order: NativeOrder): Buffer {
  return editedShopifyFixture('refunds-create.json', [
    ['"id": 929361472,', `"id": ${BigInt(order.orderId) + 1n},`],
    ['"order_id": 450789469', `"order_id": ${order.orderId}`],
    ['"restock": false', '"restock": true'],
    ['"restock_type": "no_restock",\n      "quantity": 1,', `"restock_type": "return",\n      "quantity": ${order.quantity},`],
    ['"line_item_id": 518995019', '"line_item_id": 1071823177'],
    ['"id": 518995019', '"id": 1071823177'],
    ['"quantity": 1,\n        "sku": "IPOD2008RED"', `"quantity": ${order.quantity},\n        "sku": ${JSON.stringify(order.sku)}`],
  ]);
}

/**
 * One Shopify delivery of the order's lifecycle, with Shopify's headers. Its
 * event id (`x-shopify-event-id`, and the webhook id) is the event's, the
 * same on every retry, as Shopify resends; `eventId` overrides it (a copy
 * under another id, which identical bytes still make one event).
 */
export function shopifyDelivery(order: NativeOrder, step: ShopifyStep, secret: string, eventId?: string): Delivery {
  const body = step === 'refunds/create' ? shopifyRefundBody(order) : shopifyOrderBody(order, step);
  const signature = shopifyHmac(body, secret);
  const id = eventId ?? uuidOf(`shopify ${order.orderId} ${step}`);
  return {
    label: `${order.orderId}:${step}`,
    path: SHOPIFY_PATH,
    body,
    headers: () => ({
      'content-type': 'application/json',
      'x-shopify-topic': step,
      'x-shopify-hmac-sha256': signature,
      'x-shopify-shop-domain': 'shelfsync-faults.myshopify.com',
      'x-shopify-api-version': '2026-07',
      'x-shopify-webhook-id': id,
      'x-shopify-event-id': id,
      'x-shopify-triggered-at': SHOPIFY_UPDATED_AT[step],
    }),
  };
}

/** A WooCommerce change of an order: created pending, then updated to a status. */
export const WOO_STEPS = ['created', 'processing', 'completed', 'refunded'] as const;
export type WooStep = (typeof WOO_STEPS)[number];

/** When each change was made (`date_modified_gmt`). */
const WOO_MODIFIED: Record<WooStep, string> = {
  created: '2026-12-01T15:00:00',
  processing: '2026-12-01T15:00:04',
  completed: '2026-12-01T15:02:10',
  refunded: '2026-12-01T15:06:31',
};

/**
 * One WooCommerce delivery: `order.created` with the order `pending` (from
 * the "Create an order" sample), or `order.updated` with the status the
 * change set (from the "Update an Order" sample). Edited: the order id, the
 * status, `date_modified_gmt`, `date_paid_gmt` and `date_completed_gmt` as
 * the order's history sets them (`shipped`: it was completed before this
 * step), and the second line (`Bar3`, one unit) as the
 * order's SKU and units; the first line, which has no SKU in WooCommerce's
 * sample, stays so (kept, reserves nothing). Each attempt carries a delivery
 * id as WooCommerce makes it (a hash of the webhook id and the current
 * second), so a retry a second later comes under a new one.
 */
export function wooDelivery(order: NativeOrder, step: WooStep, secret: string, shipped = false): Delivery {
  const created = step === 'created';
  const body = wooOrderBody(created ? WOO_FIXTURES.created : WOO_FIXTURES.updated, {
    id: order.orderId,
    status: created ? 'pending' : step,
    dateModifiedGmt: WOO_MODIFIED[step],
    // WooCommerce keeps when the order was paid and completed, whatever its status later says
    datePaidGmt: created ? null : WOO_MODIFIED.processing,
    dateCompletedGmt: step === 'completed' || (step === 'refunded' && shipped) ? WOO_MODIFIED.completed : null,
    skuLine: { sku: order.sku, quantity: order.quantity },
  });
  const topic = created ? 'order.created' : 'order.updated';
  const webhookId = created ? '12' : '13';
  return {
    label: `${order.orderId}:${topic}:${step}`,
    path: WOO_PATH,
    body,
    headers: () =>
      wooHeaders(topic, body, secret, {
        webhookId,
        deliveryId: createHash('md5').update(`${webhookId}${Math.floor(Date.now() / 1000)}`).digest('hex'),
      }),
  };
}

/** A stable UUID-shaped id from a text. */
function uuidOf(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * A Shopify order as one of its versions says it is (the property test's and
 * the fault suite's orders with edits and parcels): each line item's id, SKU,
 * units ordered now (`current_quantity`) and shipped, whether it is paid or
 * cancelled, the parcels that have left, and `updated_at`.
 */
export interface ShopifyOrderState {
  orderId: string;
  lines: { lineItemId: string; sku: string; quantity: number; shipped: number }[];
  paid: boolean;
  cancelled: boolean;
  parcels: ShopifyParcel[];
  /** With its offset, as Shopify writes it; later along the order's sequence. */
  updatedAt: string;
}

/** A fulfillment with status success: its id, when it was made, and its units per line item. */
export interface ShopifyParcel {
  id: string;
  createdAt: string;
  lines: { lineItemId: string; sku: string; quantity: number }[];
}

function fixtureObject(name: string): Record<string, unknown> {
  return parseLossless(shopifyFixture(name).toString('utf8')) as Record<string, unknown>;
}

const digits = (id: string) => new LosslessNumber(id);

/**
 * The Fulfillment resource of a parcel, from Shopify's published
 * `fulfillments-create.json`: its id, order_id, created_at and updated_at,
 * and one copy of its line item per line of the parcel (id, quantity in
 * this parcel, sku); every other member is the sample's.
 */
function shopifyFulfillmentObject(orderId: string, parcel: ShopifyParcel): Record<string, unknown> {
  const fulfillment = fixtureObject('fulfillments-create.json');
  const [template] = fulfillment.line_items as Record<string, unknown>[];
  Object.assign(fulfillment, {
    id: digits(parcel.id),
    order_id: digits(orderId),
    created_at: parcel.createdAt,
    updated_at: parcel.createdAt,
    line_items: parcel.lines.map((line) => ({ ...structuredClone(template), id: digits(line.lineItemId), quantity: line.quantity, sku: line.sku })),
  });
  return fulfillment;
}

/**
 * The Order resource of a version of the order, from Shopify's published
 * `orders-create.json` (read and written with lossless-json, so every
 * number keeps its digits): the order's `id`, `financial_status` (pending or
 * paid), `fulfillment_status` (null, partial, fulfilled), `cancelled_at`
 * and `cancel_reason`, `updated_at`, `fulfillments` (each parcel as
 * shopifyFulfillmentObject makes it), and one copy of the sample's line item
 * per line (`id`, `sku`, `quantity` and `current_quantity`,
 * `fulfillable_quantity`, `fulfillment_status`). `total_price` stays the
 * sample's.
 */
export function shopifyOrderStateBody(state: ShopifyOrderState): Buffer {
  const order = fixtureObject('orders-create.json');
  const [template] = order.line_items as Record<string, unknown>[];
  const live = state.lines.filter((line) => line.quantity > 0);
  const allShipped = live.length > 0 && live.every((line) => line.shipped === line.quantity);
  const someShipped = state.lines.some((line) => line.shipped > 0);
  Object.assign(order, {
    id: digits(state.orderId),
    financial_status: state.paid ? 'paid' : 'pending',
    fulfillment_status: allShipped ? 'fulfilled' : someShipped ? 'partial' : null,
    cancelled_at: state.cancelled ? state.updatedAt : null,
    cancel_reason: state.cancelled ? 'customer' : null,
    updated_at: state.updatedAt,
    fulfillments: state.parcels.map((parcel) => shopifyFulfillmentObject(state.orderId, parcel)),
    line_items: state.lines.map((line) => ({
      ...structuredClone(template),
      id: digits(line.lineItemId),
      admin_graphql_api_id: `gid://shopify/LineItem/${line.lineItemId}`,
      current_quantity: line.quantity,
      fulfillable_quantity: line.quantity - line.shipped,
      fulfillment_status: line.shipped === 0 ? null : line.shipped === line.quantity ? 'fulfilled' : 'partial',
      quantity: Math.max(line.quantity, line.shipped, 1),
      sku: line.sku,
    })),
  });
  return Buffer.from(stringifyLossless(order, null, 2)!, 'utf8');
}

/**
 * Shopify's sample refund (`refunds-create.json`) as a refund of every unit
 * the order now holds, each line restocked (`return` for what shipped,
 * `cancel` for the rest): the refund's id, `order_id`, `created_at`,
 * `restock` true, and one copy of the sample's refund line per line and
 * restock type (`line_item_id`, `quantity`, `restock_type`, and the line
 * item's `id`, `sku` and `quantity`).
 */
export function shopifyRefundAllBody(state: ShopifyOrderState, refundId: string): Buffer {
  const refund = fixtureObject('refunds-create.json');
  const [template] = refund.refund_line_items as Record<string, unknown>[];
  const refunded = state.lines.flatMap((line) =>
    (
      [
        ['return', line.shipped],
        ['cancel', line.quantity - line.shipped],
      ] as const
    )
      .filter(([, quantity]) => quantity > 0)
      .map(([restockType, quantity]) => {
        const copy = structuredClone(template);
        Object.assign(copy, { restock_type: restockType, quantity, line_item_id: digits(line.lineItemId) });
        Object.assign(copy.line_item as Record<string, unknown>, { id: digits(line.lineItemId), sku: line.sku, quantity: line.quantity });
        return copy;
      }),
  );
  Object.assign(refund, { id: digits(refundId), order_id: digits(state.orderId), created_at: state.updatedAt, processed_at: state.updatedAt, restock: true, refund_line_items: refunded });
  return Buffer.from(stringifyLossless(refund, null, 2)!, 'utf8');
}

/** The topics a version of the order goes by (an Order resource); a parcel also by fulfillments/create, a refund by refunds/create. */
export type ShopifyStateTopic = 'orders/create' | 'orders/updated' | 'orders/paid' | 'orders/partially_fulfilled' | 'orders/fulfilled' | 'orders/cancelled';

/** A Shopify delivery of `body` under `topic`, with Shopify's headers; its event id is the event's (stable per order, topic and step). */
export function shopifyBodyDelivery(orderId: string, topic: string, step: number, body: Buffer, triggeredAt: string, secret: string, eventId?: string): Delivery {
  const signature = shopifyHmac(body, secret);
  const id = eventId ?? uuidOf(`shopify ${orderId} ${topic} ${step}`);
  return {
    label: `${orderId}:${step}:${topic}`,
    path: SHOPIFY_PATH,
    body,
    headers: () => ({
      'content-type': 'application/json',
      'x-shopify-topic': topic,
      'x-shopify-hmac-sha256': signature,
      'x-shopify-shop-domain': 'shelfsync-faults.myshopify.com',
      'x-shopify-api-version': '2026-07',
      'x-shopify-webhook-id': id,
      'x-shopify-event-id': id,
      'x-shopify-triggered-at': triggeredAt,
    }),
  };
}

/** fulfillments/create of a parcel, as Shopify sends it when the parcel ships (before or after the order's own update). */
export function shopifyParcelBody(orderId: string, parcel: ShopifyParcel): Buffer {
  return Buffer.from(stringifyLossless(shopifyFulfillmentObject(orderId, parcel), null, 2)!, 'utf8');
}

/**
 * What happens to a Shopify order after its creation, as its admin does it:
 * paid; a line's units changed (`line` counts the order's line items, modulo
 * how many it has), a line removed, a product added (a SKU already on the
 * order changes that line instead); a parcel (`units` per line item, each
 * at most what is left to ship of it); cancelled; refunded whole with
 * restock. shopifyOrderSequence skips what Shopify would not do (a parcel or
 * refund of an unpaid order, anything after a cancel or refund, an edit
 * below what has shipped is clamped to it).
 */
export type ShopifyOp =
  | { kind: 'pay' }
  | { kind: 'quantity'; line: number; quantity: number }
  | { kind: 'remove'; line: number }
  | { kind: 'add'; sku: string; quantity: number }
  | { kind: 'parcel'; units: number[] }
  | { kind: 'cancel' }
  | { kind: 'refund' };

/** One delivery of a sequence, and a copy of it under another event id (a replayed capture: still one event). */
export interface SequencedDelivery {
  delivery: Delivery;
  replay(eventId: string): Delivery;
}

/**
 * The deliveries Shopify sends for an order created with `lines` (one line
 * item per SKU) and then changed by `ops`, in the order it sends them: each
 * change a new version of the whole order (`updated_at` 7 s after the
 * previous one) under its topic (orders/create, orders/paid, orders/updated
 * for an edit, orders/partially_fulfilled or orders/fulfilled after a
 * parcel, orders/cancelled), a parcel also by fulfillments/create (before
 * the order's update, as Shopify does), a refund by refunds/create. Also
 * returns the order as the last version says it is.
 */
export function shopifyOrderSequence(
  orderId: string,
  lines: { sku: string; quantity: number }[],
  ops: readonly ShopifyOp[],
  secret: string,
): { deliveries: SequencedDelivery[]; final: ShopifyOrderState; refunded: boolean } {
  const base = Date.UTC(2026, 11, 1, 15, 0, 0);
  const key = BigInt(orderId) % 1_000_000_000n;
  const idOf = (kind: bigint, n: number) => String(kind * 10_000_000_000_000n + key * 1_000n + BigInt(n));
  let step = 0;
  // The shop's offset is -05:00, as in Shopify's samples.
  const timeOf = (n: number) => `${new Date(base + n * 7_000 - 5 * 3_600_000).toISOString().slice(0, 19)}-05:00`;
  const state: ShopifyOrderState = {
    orderId,
    lines: lines.map((line, i) => ({ lineItemId: idOf(2n, i), sku: line.sku, quantity: line.quantity, shipped: 0 })),
    paid: false,
    cancelled: false,
    parcels: [],
    updatedAt: timeOf(0),
  };
  const deliveries: SequencedDelivery[] = [];
  const send = (topic: string, body: Buffer) => {
    const at = state.updatedAt;
    const n = step;
    deliveries.push({
      delivery: shopifyBodyDelivery(orderId, topic, n, body, at, secret),
      replay: (eventId) => shopifyBodyDelivery(orderId, topic, n, body, at, secret, eventId),
    });
  };
  const snapshot = (topic: ShopifyStateTopic) => send(topic, shopifyOrderStateBody(state));
  snapshot('orders/create');
  let refunded = false;
  for (const op of ops) {
    if (state.cancelled || refunded) break;
    const next = () => {
      step += 1;
      state.updatedAt = timeOf(step);
    };
    const lineAt = (i: number) => state.lines[i % state.lines.length];
    switch (op.kind) {
      case 'pay':
        if (state.paid) continue;
        next();
        state.paid = true;
        snapshot('orders/paid');
        break;
      case 'quantity':
      case 'remove': {
        const line = lineAt(op.line);
        const quantity = Math.max(op.kind === 'remove' ? 0 : op.quantity, line.shipped);
        if (quantity === line.quantity) continue;
        next();
        line.quantity = quantity;
        snapshot('orders/updated');
        break;
      }
      case 'add': {
        next();
        const same = state.lines.find((line) => line.sku === op.sku);
        if (same) same.quantity += op.quantity;
        else state.lines.push({ lineItemId: idOf(2n, state.lines.length), sku: op.sku, quantity: op.quantity, shipped: 0 });
        snapshot('orders/updated');
        break;
      }
      case 'parcel': {
        if (!state.paid) continue;
        const shipped = state.lines
          .map((line, i) => ({ line, quantity: Math.min(op.units[i % op.units.length] ?? 0, line.quantity - line.shipped) }))
          .filter(({ quantity }) => quantity > 0);
        if (shipped.length === 0) continue;
        next();
        const parcel: ShopifyParcel = {
          id: idOf(1n, step),
          createdAt: state.updatedAt,
          lines: shipped.map(({ line, quantity }) => ({ lineItemId: line.lineItemId, sku: line.sku, quantity })),
        };
        for (const { line, quantity } of shipped) line.shipped += quantity;
        state.parcels.push(parcel);
        send('fulfillments/create', shopifyParcelBody(orderId, parcel));
        const done = state.lines.every((line) => line.shipped === line.quantity);
        snapshot(done ? 'orders/fulfilled' : 'orders/partially_fulfilled');
        break;
      }
      case 'cancel':
        next();
        state.cancelled = true;
        snapshot('orders/cancelled');
        break;
      case 'refund':
        if (!state.paid) continue;
        next();
        refunded = true;
        send('refunds/create', shopifyRefundAllBody(state, idOf(3n, step)));
        break;
    }
  }
  return { deliveries, final: state, refunded };
}
