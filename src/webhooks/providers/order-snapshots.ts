import type { FieldProblem } from '../../common/app-error.js';
import { isPlainText } from '../../common/validators.js';
import type { CreateOrderCommand, EditOrderCommand, LifecycleCommand, OrderCommand } from '../../orders/order-commands.js';
import type { LifecycleEvent } from '../../orders/order-state-machine.js';
import { absent, cleanText, decimalAmountOf, ID_RULE, idOf, invalid, isObject, isQuantity, linesAt, MAX_QUANTITY, QUANTITY_RULE } from './input-rules.js';
import { addedUpBySku, SKU_RULE, skuOf, shopifyUnitPriceOf, wooUnitPriceOf } from './native-lines.js';

/**
 * What a gateway's order says it now is. Shopify and WooCommerce deliver the
 * whole order on every change (design.md, "An order from a gateway is a
 * state"); these readers turn one delivery's body into that state, and
 * snapshotCommands turns the state into the domain's commands: what stock
 * moves is the domain's to decide, against the newest snapshot it applied.
 */
export interface OrderSnapshot {
  /** The order's id, digit for digit as the gateway wrote it (idOf). */
  orderId: string;
  /**
   * The gateway's last change to the order, as an ISO-8601 UTC instant with
   * milliseconds (`2025-04-02T16:30:48.000Z`): two versions compare as
   * strings, the later one sorting after the earlier.
   */
  version: string;
  /** One per SKU (addedUpBySku); lines without a SKU kept apart, with `sku: null`. */
  lines: SnapshotLine[];
  /** The order's total as it now is; absent when the body gives none. */
  totalAmount?: number;
  /** The order says it is paid. */
  paid: boolean;
  /** The parcels that have left, each once, with the gateway's id for it (Shopify's fulfillments); none for WooCommerce. */
  parcels: Parcel[];
  /** The order says every unit has shipped. */
  fulfilled: boolean;
  /** Null unless the order says it is cancelled; then why, when it says. */
  cancelled: { reason: string | null } | null;
  /** WooCommerce only: the status says refunded, or that the payment failed (Shopify says these by refunds/create, or not at all). */
  refunded: boolean;
  paymentFailed: boolean;
}

export interface SnapshotLine {
  sku: string | null;
  /** The units the order now asks for: 0 for a line removed by an edit or refunded whole (it stays, with 0). */
  quantity: number;
  unitPrice: number | null;
}

/** A parcel that has left: the gateway's id of it, and its units per SKU (lines without a SKU are not in it: they hold no stock). */
export interface Parcel {
  id: string;
  lines: { sku: string; quantity: number }[];
}

/** Shopify's `orders/edited` body: which line items an edit changed, by how many units. */
export interface ShopifyOrderEdit {
  orderId: string;
  editId: string;
  /** When the edit was committed (`committed_at`, since API version 2024-07), else when it was begun (`created_at`); as OrderSnapshot.version. */
  editedAt: string;
  additions: LineItemDelta[];
  removals: LineItemDelta[];
}

export interface LineItemDelta {
  lineItemId: string;
  /** Units added (in `additions`) or removed (in `removals`): always positive. */
  delta: number;
}

/** Shopify's `fulfillments/create` body (the Fulfillment resource): one parcel of an order. */
export interface ShopifyFulfillment {
  orderId: string;
  /** Whether the parcel left: its `status` is `success` (see SHIPPED_FULFILLMENT). */
  shipped: boolean;
  status: string;
  parcel: Parcel;
}

/** Shopify `financial_status` values of an order that was paid (a refund, whole or partial, comes after a payment). */
const PAID_FINANCIAL_STATUSES = new Set(['paid', 'partially_refunded', 'refunded']);
/** Shopify's order `fulfillment_status` when every line has shipped. */
const WHOLLY_FULFILLED = 'fulfilled';

/** A count of units that may be 0 (a removed line, a parcel line of nothing), else a quantity (QUANTITY_RULE). */
const isUnitCount = (value: unknown): value is number => value === 0 || isQuantity(value);
const UNIT_COUNT_RULE = `an integer from 0 to ${MAX_QUANTITY}`;

/**
 * The one Shopify fulfillment status whose units have left: `success`. The
 * others are `cancelled`, `error`, `failure`, and the deprecated `pending` and
 * `open`, which have not shipped yet (FulfillmentStatus, e.g.
 * https://shopify.dev/docs/api/admin-graphql/2025-04/enums/FulfillmentStatus).
 */
const SHIPPED_FULFILLMENT = 'success';

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})?$/;
/** Instants past 9999 would not sort as strings (toISOString writes them as +010000-…). */
const LATEST_INSTANT = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const WITH_OFFSET_RULE = 'a date and time with its offset, such as "2025-04-02T11:30:48-05:00"';
const GMT_RULE = 'a date and time in GMT, without an offset, such as "2017-03-22T19:30:35"';

/**
 * An instant as ISO-8601 UTC with milliseconds, from the gateway's text:
 * `offset` wants a zone (`Z` or ±hh:mm, as Shopify writes `updated_at`),
 * `gmt` wants none (or `Z`), the text being GMT already (WooCommerce's
 * `*_gmt`). Years from 1970 to 9999; digits past the millisecond dropped
 * (both gateways write whole seconds). Undefined when it is not one,
 * including dates that do not exist (2025-02-30).
 */
function instantOf(value: unknown, zone: 'offset' | 'gmt'): string | undefined {
  if (typeof value !== 'string') return undefined;
  const match = INSTANT.exec(value.trim());
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, fraction = '', offset] = match;
  if (zone === 'offset' ? offset === undefined : offset !== undefined && offset !== 'Z') return undefined;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number);
  if (year < 1970 || month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  let time = Date.UTC(year, month - 1, day, hour, minute, second, Number(fraction.padEnd(3, '0').slice(0, 3)));
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  if (offset !== undefined && offset !== 'Z') {
    const [hours, minutes] = offset.slice(1).split(':').map(Number);
    if (hours > 23 || minutes > 59) return undefined;
    time -= (offset.startsWith('-') ? -1 : 1) * (hours * 60 + minutes) * 60_000;
  }
  return time >= 0 && time <= LATEST_INSTANT ? new Date(time).toISOString() : undefined;
}


/**
 * The commands a snapshot delivery becomes, in lifecycle order (the domain
 * stops a delivery's commands at the first that must wait, and applies the
 * delivery again from its start later):
 * 1. the order's lines as they now are (`edit_order`, with the version and
 *    total), or, for the delivery that creates the order, `creation` (with
 *    the version);
 * 2. `payment_succeeded` when the order says it is paid;
 * 3. `order_fulfilled` with each parcel that has left (a parcel told again,
 *    by its id, ships once);
 * 4. `order_fulfilled` without a parcel when the order says it is wholly
 *    fulfilled and lists no parcel (WooCommerce's `completed`; a Shopify
 *    body without its fulfillments);
 * 5. `order_cancelled` when it says it is cancelled;
 * 6. not on creation: `order_refunded`, `payment_failed` (WooCommerce's
 *    `refunded`, `failed`).
 */
export function snapshotCommands(snapshot: OrderSnapshot, creation?: CreateOrderCommand): OrderCommand[] {
  const { orderId, version } = snapshot;
  const commands: OrderCommand[] = [];
  if (creation) {
    commands.push({ ...creation, version });
  } else {
    const edit: EditOrderCommand = { kind: 'edit_order', orderId, lines: snapshot.lines, version };
    if (snapshot.totalAmount !== undefined) edit.totalAmount = snapshot.totalAmount;
    commands.push(edit);
  }
  if (snapshot.paid) commands.push(lifecycleCommand(orderId, 'payment_succeeded'));
  for (const parcel of snapshot.parcels) commands.push({ ...lifecycleCommand(orderId, 'order_fulfilled'), parcel });
  if (snapshot.fulfilled && snapshot.parcels.length === 0) commands.push(lifecycleCommand(orderId, 'order_fulfilled'));
  if (snapshot.cancelled) commands.push(lifecycleCommand(orderId, 'order_cancelled', snapshot.cancelled.reason));
  if (!creation && snapshot.refunded) commands.push(lifecycleCommand(orderId, 'order_refunded'));
  if (!creation && snapshot.paymentFailed) commands.push(lifecycleCommand(orderId, 'payment_failed'));
  return commands;
}

/** A lifecycle event for the order, as a gateway's delivery asks it (no restock: a gateway's refund says what comes back). */
export function lifecycleCommand(orderId: string, event: LifecycleEvent, reason: string | null = null): LifecycleCommand {
  return { kind: 'lifecycle', orderId, event, reason, restock: false };
}

/**
 * The state a Shopify Order resource describes (`orders/create`,
 * `orders/updated`, `orders/paid`, `orders/cancelled`, `orders/fulfilled`,
 * `orders/partially_fulfilled`). Throws the 400 (invalid) naming every bad
 * field, with those already in `problems` (a creation read from the same body).
 *
 * - version: `updated_at`, which Shopify writes with the shop's offset.
 * - lines: each line's `current_quantity`, the units ordered "excluding
 *   refunded and removed units" (LineItem.currentQuantity,
 *   https://shopify.dev/docs/api/admin-graphql/2023-07/objects/LineItem; in
 *   REST line items since API version 2024-01, stack.md "Found since
 *   2026-12-07"). `quantity` stays what was first ordered; it is read only
 *   when `current_quantity` is absent (versions before 2024-01), where it
 *   does not show edits or refunds: the later refunds/create says those.
 * - totalAmount: `total_price`, as orders/create reads it.
 * - paid: `financial_status` is `paid`, `partially_refunded` or `refunded`.
 * - parcels: each of the order's `fulfillments` whose `status` is `success`
 *   (SHIPPED_FULFILLMENT), by its `id`, its units per SKU of the order's
 *   line items it names. Not `quantity - fulfillable_quantity`: Shopify
 *   computes fulfillable_quantity as `quantity - max(refunded, fulfilled)
 *   - pending - open` (REST Order resource), so it cannot tell a refunded
 *   unit from a shipped one, and counts units of pending or open
 *   fulfillments, which have not left. A shipped fulfillment naming a line
 *   item that is not in `line_items` is a bad field.
 * - fulfilled: `fulfillment_status` is `fulfilled`.
 * - cancelled: `cancelled_at` is not null; the reason is `cancel_reason`.
 */
export function shopifySnapshotOf(order: Record<string, unknown>, problems: FieldProblem[] = []): OrderSnapshot {
  const orderId = idOf(order.id);
  if (orderId === undefined) problems.push({ field: 'id', message: `id must be the order's id: ${ID_RULE}` });
  const version = instantOf(order.updated_at, 'offset');
  if (version === undefined) problems.push({ field: 'updated_at', message: `updated_at must be ${WITH_OFFSET_RULE}` });
  const isCancelled = !absent(order.cancelled_at);
  if (isCancelled && instantOf(order.cancelled_at, 'offset') === undefined) {
    problems.push({ field: 'cancelled_at', message: `cancelled_at must be null or ${WITH_OFFSET_RULE}` });
  }
  const totalAmount = absent(order.total_price) ? undefined : decimalAmountOf(order.total_price);
  if (!absent(order.total_price) && totalAmount === undefined) problems.push({ field: 'total_price', message: 'total_price must be an amount such as "199.00"' });

  const items: (SnapshotLine & { id: string | null })[] = [];
  const lineItems = linesAt(order.line_items, 'line_items', problems);
  (lineItems ?? []).forEach((item: unknown, i) => {
    const at = `line_items[${i}]`;
    if (!isObject(item)) {
      problems.push({ field: at, message: `${at} must be an object` });
      return;
    }
    // The id only names the line in the order's fulfillments: a line without one (a hand-built body) is in none.
    const id = absent(item.id) ? null : idOf(item.id);
    if (id === undefined) problems.push({ field: `${at}.id`, message: `${at}.id must be null or the line item's id: ${ID_RULE}` });
    const sku = skuOf(item.sku);
    if (sku === undefined) problems.push({ field: `${at}.sku`, message: `${at}.sku must be ${SKU_RULE}` });
    const current = absent(item.current_quantity) ? 'quantity' : 'current_quantity';
    const quantity = item[current];
    if (!isUnitCount(quantity)) problems.push({ field: `${at}.${current}`, message: `${at}.${current} must be ${UNIT_COUNT_RULE}` });
    const unitPrice = shopifyUnitPriceOf(item.price);
    if (unitPrice === undefined) problems.push({ field: `${at}.price`, message: `${at}.price must be an amount such as "199.00"` });
    if (id === undefined || sku === undefined || !isUnitCount(quantity) || unitPrice === undefined) return;
    items.push({ id, sku, quantity, unitPrice });
  });

  const skuOfLineItem = new Map(items.flatMap((item) => (item.id === null ? [] : [[item.id, item.sku] as const])));
  // Only when every line item was read: a bad one would make this a second, misleading problem.
  const everyLineRead = lineItems !== undefined && items.length === lineItems.length;
  const parcels: Parcel[] = [];
  for (const { id, lines } of shippedFulfillmentsOf(order.fulfillments, problems)) {
    const named = lines.map((line) => {
      const known = skuOfLineItem.has(line.lineItemId);
      if (!known && everyLineRead) problems.push({ field: line.field, message: `${line.field} must name one of the order's line_items (${line.lineItemId} is none of them)` });
      return { sku: known ? skuOfLineItem.get(line.lineItemId)! : null, quantity: line.quantity, field: line.field };
    });
    const parcel = parcelOf(id, named, problems);
    if (parcel.lines.length > 0) parcels.push(parcel);
  }
  if (problems.length) throw invalid(problems);

  return {
    orderId: orderId!,
    version: version!,
    lines: addedUpBySku(items.map(({ sku, quantity, unitPrice }) => ({ sku, quantity, unitPrice }))),
    ...(totalAmount === undefined ? {} : { totalAmount }),
    paid: typeof order.financial_status === 'string' && PAID_FINANCIAL_STATUSES.has(order.financial_status),
    parcels,
    fulfilled: order.fulfillment_status === WHOLLY_FULFILLED,
    cancelled: isCancelled ? { reason: cleanText(order.cancel_reason, 500) ?? null } : null,
    refunded: false,
    paymentFailed: false,
  };
}

/**
 * A parcel's units per SKU, in the order each SKU first appears: lines
 * without a SKU, and lines of no unit, left out; more than MAX_QUANTITY
 * units of one SKU is a problem, named at the line that passes it.
 */
function parcelOf(id: string, lines: { sku: string | null; quantity: number; field: string }[], problems: FieldProblem[]): Parcel {
  const bySku = new Map<string, number>();
  for (const { sku, quantity, field } of lines) {
    if (sku === null || quantity === 0) continue;
    const units = (bySku.get(sku) ?? 0) + quantity;
    if (units > MAX_QUANTITY && (bySku.get(sku) ?? 0) <= MAX_QUANTITY) {
      problems.push({ field, message: `parcel ${id} ships more than ${MAX_QUANTITY} units of ${sku}` });
    }
    bySku.set(sku, units);
  }
  return { id, lines: [...bySku].map(([sku, quantity]) => ({ sku, quantity })) };
}

/**
 * The order's fulfillments that have shipped (SHIPPED_FULFILLMENT): each
 * one's id and its lines (line item id, units, path); bad fields of those
 * fulfillments go into `problems` (other fulfillments are read no further
 * than their status).
 */
function shippedFulfillmentsOf(
  fulfillments: unknown,
  problems: FieldProblem[],
): { id: string; lines: { lineItemId: string; quantity: number; sku: string | null; field: string }[] }[] {
  const shipped: { id: string; lines: { lineItemId: string; quantity: number; sku: string | null; field: string }[] }[] = [];
  (linesAt(fulfillments, 'fulfillments', problems) ?? []).forEach((fulfillment: unknown, i) => {
    const at = `fulfillments[${i}]`;
    if (!isObject(fulfillment)) {
      problems.push({ field: at, message: `${at} must be an object` });
      return;
    }
    if (!isPlainText(fulfillment.status, 1, 100)) {
      problems.push({ field: `${at}.status`, message: `${at}.status must be a fulfillment status such as "success"` });
      return;
    }
    if (fulfillment.status !== SHIPPED_FULFILLMENT) return;
    const id = idOf(fulfillment.id);
    if (id === undefined) problems.push({ field: `${at}.id`, message: `${at}.id must be the fulfillment's id: ${ID_RULE}` });
    const lines = parcelLinesOf(fulfillment.line_items, `${at}.line_items`, problems);
    if (id !== undefined) shipped.push({ id, lines });
  });
  return shipped;
}

/**
 * A fulfillment's `line_items` (at `field`): each line item's id, its units
 * in this parcel, its SKU, and its path. A fulfillment's
 * `line_items[].quantity` is the units in this fulfillment (as
 * FulfillmentLineItem.quantity, "The amount fulfilled in this fulfillment",
 * https://shopify.dev/docs/api/storefront/2026-07/objects/FulfillmentLineItem),
 * not the line's quantity.
 */
function parcelLinesOf(
  lineItems: unknown,
  field: string,
  problems: FieldProblem[],
): { lineItemId: string; quantity: number; sku: string | null; field: string }[] {
  const lines: { lineItemId: string; quantity: number; sku: string | null; field: string }[] = [];
  (linesAt(lineItems, field, problems) ?? []).forEach((line: unknown, j) => {
    const at = `${field}[${j}]`;
    if (!isObject(line)) {
      problems.push({ field: at, message: `${at} must be an object` });
      return;
    }
    const lineItemId = idOf(line.id);
    if (lineItemId === undefined) problems.push({ field: `${at}.id`, message: `${at}.id must be the line item's id: ${ID_RULE}` });
    if (!isUnitCount(line.quantity)) problems.push({ field: `${at}.quantity`, message: `${at}.quantity must be ${UNIT_COUNT_RULE}` });
    const sku = skuOf(line.sku);
    if (sku === undefined) problems.push({ field: `${at}.sku`, message: `${at}.sku must be ${SKU_RULE}` });
    if (lineItemId === undefined || !isUnitCount(line.quantity) || sku === undefined) return;
    lines.push({ lineItemId, quantity: line.quantity, sku, field: `${at}.id` });
  });
  return lines;
}

/**
 * Shopify's `fulfillments/create` body, the Fulfillment resource: its order,
 * whether it shipped (status `success`), and the parcel, by the
 * fulfillment's id, with its units per SKU (the same parcel as the order's
 * snapshot lists once it has shipped). Throws the 400 naming every bad field.
 */
export function shopifyFulfillmentOf(fulfillment: Record<string, unknown>): ShopifyFulfillment {
  const problems: FieldProblem[] = [];
  const orderId = idOf(fulfillment.order_id);
  if (orderId === undefined) problems.push({ field: 'order_id', message: `order_id must be the order's id: ${ID_RULE}` });
  const parcelId = idOf(fulfillment.id);
  if (parcelId === undefined) problems.push({ field: 'id', message: `id must be the fulfillment's id: ${ID_RULE}` });
  const status = fulfillment.status;
  if (!isPlainText(status, 1, 100)) problems.push({ field: 'status', message: 'status must be a fulfillment status such as "success"' });
  const lines = parcelLinesOf(fulfillment.line_items, 'line_items', problems);
  const parcel = parcelOf(parcelId ?? '', lines, problems);
  if (problems.length) throw invalid(problems);
  return { orderId: orderId!, shipped: status === SHIPPED_FULFILLMENT, status: status as string, parcel };
}

/**
 * Shopify's `orders/edited` body, `{"order_edit": {...}}`: the order, when
 * the edit was made, and the line items it added units to or removed units
 * from (`line_items.additions` / `.removals`, each `{id, delta}`).
 *
 * What it cannot say: SKUs (an added line item's id is one the order had not
 * shown before), quantities (a delta, not what the line now holds), prices,
 * or what has shipped. Shopify sends `orders/updated` for every change to an
 * order, an edit included, with the whole order as it now is; that snapshot
 * (shopifySnapshotOf) carries the state. This reader is for telling what the
 * edit was (the log, a flag), not for moving stock.
 */
export function shopifyOrderEditOf(body: Record<string, unknown>): ShopifyOrderEdit {
  const edit = body.order_edit;
  if (!isObject(edit)) throw invalid('order_edit', 'order_edit must be an object (the orders/edited body)');
  const problems: FieldProblem[] = [];
  const orderId = idOf(edit.order_id);
  if (orderId === undefined) problems.push({ field: 'order_edit.order_id', message: `order_edit.order_id must be the order's id: ${ID_RULE}` });
  const editId = idOf(edit.id);
  if (editId === undefined) problems.push({ field: 'order_edit.id', message: `order_edit.id must be the edit's id: ${ID_RULE}` });
  const when = absent(edit.committed_at) ? 'created_at' : 'committed_at';
  const editedAt = instantOf(edit[when], 'offset');
  if (editedAt === undefined) problems.push({ field: `order_edit.${when}`, message: `order_edit.${when} must be ${WITH_OFFSET_RULE}` });

  let additions: LineItemDelta[] = [];
  let removals: LineItemDelta[] = [];
  if (isObject(edit.line_items)) {
    additions = deltasOf(edit.line_items.additions, 'order_edit.line_items.additions', problems);
    removals = deltasOf(edit.line_items.removals, 'order_edit.line_items.removals', problems);
  } else if (!absent(edit.line_items)) {
    problems.push({ field: 'order_edit.line_items', message: 'order_edit.line_items must be an object with additions and removals' });
  }
  if (problems.length) throw invalid(problems);
  return { orderId: orderId!, editId: editId!, editedAt: editedAt!, additions, removals };
}

function deltasOf(value: unknown, field: string, problems: FieldProblem[]): LineItemDelta[] {
  const deltas: LineItemDelta[] = [];
  (linesAt(value, field, problems) ?? []).forEach((entry: unknown, i) => {
    const at = `${field}[${i}]`;
    if (!isObject(entry)) {
      problems.push({ field: at, message: `${at} must be an object` });
      return;
    }
    const lineItemId = idOf(entry.id);
    if (lineItemId === undefined) problems.push({ field: `${at}.id`, message: `${at}.id must be the line item's id: ${ID_RULE}` });
    if (!isQuantity(entry.delta)) problems.push({ field: `${at}.delta`, message: `${at}.delta must be ${QUANTITY_RULE}` });
    if (lineItemId !== undefined && isQuantity(entry.delta)) deltas.push({ lineItemId, delta: entry.delta });
  });
  return deltas;
}

/**
 * The state a WooCommerce order resource describes (`order.created`,
 * `order.updated`). Throws the 400 naming every bad field, with those
 * already in `problems` (a creation read from the same body).
 *
 * - version: `date_modified_gmt`, which has no zone: it is GMT (the REST
 *   docs' order properties; `date_modified` is the site's local time).
 * - lines: each line's `quantity`. An admin's edit changes it, or adds or
 *   deletes the line (a SKU no longer listed is not in the list: the
 *   domain reads the whole list); a refund does not (it is a separate
 *   record in `refunds`).
 * - totalAmount: `total`.
 * - by `status` (WOO_STATUS): `processing` paid; `completed` paid and
 *   wholly fulfilled (WooCommerce core has no partial shipment, so no
 *   parcels); `cancelled`; `refunded` (paid: WooCommerce refunds a paid
 *   order); `failed` (the payment failed). Others (`pending`, `on-hold`,
 *   `trash`, `checkout-draft`, a plugin's own) say nothing beyond the lines.
 * - and by what WooCommerce keeps whatever the status says now:
 *   `date_paid_gmt` (paid) and `date_completed_gmt` (completed, so
 *   shipped). So a newer snapshot says all an older one did (a refunded
 *   order that was completed still says it shipped), which is what lets an
 *   older snapshot be skipped as stale.
 */
export function wooSnapshotOf(order: Record<string, unknown>, problems: FieldProblem[] = []): OrderSnapshot {
  const orderId = idOf(order.id);
  if (orderId === undefined) problems.push({ field: 'id', message: `id must be the order id: ${ID_RULE}` });
  const version = instantOf(order.date_modified_gmt, 'gmt');
  if (version === undefined) problems.push({ field: 'date_modified_gmt', message: `date_modified_gmt must be ${GMT_RULE}` });
  const status = order.status;
  if (!isPlainText(status, 1, 100)) problems.push({ field: 'status', message: 'status must be the order status (a string)' });
  const totalAmount = absent(order.total) ? undefined : decimalAmountOf(order.total);
  if (!absent(order.total) && totalAmount === undefined) problems.push({ field: 'total', message: 'total must be a non-negative decimal amount such as "29.35"' });

  const lines: SnapshotLine[] = [];
  (linesAt(order.line_items, 'line_items', problems) ?? []).forEach((item: unknown, i) => {
    const at = `line_items[${i}]`;
    if (!isObject(item)) {
      problems.push({ field: at, message: `${at} must be an object` });
      return;
    }
    const sku = skuOf(item.sku);
    if (sku === undefined) problems.push({ field: `${at}.sku`, message: `${at}.sku must be ${SKU_RULE}` });
    if (!isUnitCount(item.quantity)) problems.push({ field: `${at}.quantity`, message: `${at}.quantity must be ${UNIT_COUNT_RULE}` });
    if (sku === undefined || !isUnitCount(item.quantity)) return;
    lines.push({ sku, quantity: item.quantity, unitPrice: wooUnitPriceOf(item.price) });
  });
  if (problems.length) throw invalid(problems);
  const says = WOO_STATUS[status as string] ?? {};
  return {
    orderId: orderId!,
    version: version!,
    lines: addedUpBySku(lines),
    ...(totalAmount === undefined ? {} : { totalAmount }),
    paid: (says.paid ?? false) || !absent(order.date_paid_gmt),
    parcels: [],
    fulfilled: (says.fulfilled ?? false) || !absent(order.date_completed_gmt),
    cancelled: says.cancelled ? { reason: null } : null,
    refunded: says.refunded ?? false,
    paymentFailed: says.paymentFailed ?? false,
  };
}

/** What a WooCommerce order status says of the order (statuses not listed say nothing). */
const WOO_STATUS: Record<string, { paid?: true; fulfilled?: true; cancelled?: true; refunded?: true; paymentFailed?: true }> = {
  processing: { paid: true },
  completed: { paid: true, fulfilled: true },
  cancelled: { cancelled: true },
  refunded: { paid: true, refunded: true },
  failed: { paymentFailed: true },
};
