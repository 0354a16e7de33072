import { createHash } from 'node:crypto';
import { editedShopifyFixture, shopifyHmac } from './shopify.js';
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
