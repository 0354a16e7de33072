import type { IncomingHttpHeaders } from 'node:http';
import type { FieldProblem } from '../../common/app-error.js';
import { isPlainText } from '../../common/validators.js';
import type { CreateOrderCommand, OrderCommand, ReturnUnitsCommand } from '../../orders/order-commands.js';
import { headerValue } from '../signature/signature-scheme.js';
import { SHOPIFY_HEADERS } from './gateway-headers.js';
import { cleanText, currencyOf, CURRENCY_RULE, decimalAmountOf, emailOf, ID_RULE, idOf, invalid, isObject, isQuantity, linesAt, MAX_EVENT_ID_LENGTH, QUANTITY_RULE, readJson } from './input-rules.js';
import { lineItemsOf, shopifyUnitPriceOf, skuOf } from './native-lines.js';
import { lifecycleCommand, shopifyFulfillmentOf, shopifyOrderEditOf, shopifySnapshotOf, snapshotCommands } from './order-snapshots.js';
import type { DeliveryCommand, IdentifiedDelivery, Provider } from './provider.js';

/** The topics Shopify names in `x-shopify-topic` that shelfsync maps (contract, "Gateways natively" → Shopify). */
export const SHOPIFY_TOPICS = [
  'orders/create',
  'orders/updated',
  'orders/paid',
  'orders/cancelled',
  'orders/fulfilled',
  'orders/partially_fulfilled',
  'orders/edited',
  'fulfillments/create',
  'refunds/create',
] as const;
export type ShopifyTopic = (typeof SHOPIFY_TOPICS)[number];

/** Why a delivery of another topic asks nothing. */
export const UNKNOWN_TOPIC = 'unknown_topic';
/** Why a refund that names no line (shipping only, say) asks nothing. */
export const REFUND_RESTOCKS_NOTHING = 'refund_restocks_nothing';
/**
 * Why orders/edited asks nothing: it names line item ids and deltas, not
 * SKUs or what a line now holds, and Shopify sends orders/updated after
 * every edit with the whole order, which carries the edit.
 */
export const READ_FROM_ORDER_UPDATE = 'read_from_order_update';
/** Why a fulfillments/create whose status is not `success` (cancelled, failure, error, pending, open) asks nothing: nothing has left. */
export const FULFILLMENT_NOT_SHIPPED = 'fulfillment_not_shipped';
/** Why a shipped fulfillment of lines without a SKU only asks nothing: they hold no stock. */
export const PARCEL_WITHOUT_SKU = 'parcel_without_sku';
/** The customer name of an order that names nobody: no customer name, no billing name, no email. */
export const CUSTOMER_PLACEHOLDER = 'Shopify customer (no name given)';

const { eventId: EVENT_ID_HEADER, webhookId: WEBHOOK_ID_HEADER, topic: TOPIC_HEADER } = SHOPIFY_HEADERS;
/**
 * The restock types whose units come back to stock, and whether those units
 * had shipped: `return` (fulfilled units, back on hand) and `cancel`
 * (unfulfilled ones, released).
 */
const RESTOCKING: Record<string, { shipped: boolean }> = { return: { shipped: true }, cancel: { shipped: false } };

function isShopifyTopic(topic: string): topic is ShopifyTopic {
  return (SHOPIFY_TOPICS as readonly string[]).includes(topic);
}

/** A header's value, trimmed; undefined when absent or blank. */
function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headerValue(headers, name)?.trim();
  return value ? value : undefined;
}

function fullName(first: unknown, last: unknown): string | undefined {
  return cleanText([cleanText(first, 200), cleanText(last, 200)].filter(Boolean).join(' '), 200);
}

/**
 * Shopify's own deliveries (contract, "Gateways natively" → Shopify): the
 * topic in `x-shopify-topic`, the event id in `x-shopify-event-id` (else
 * `x-shopify-webhook-id`), the Order, Refund or Fulfillment resource (or an
 * order edit) as the body. Ids are read losslessly (readJson, idOf):
 * Shopify's are 64-bit.
 */
export class ShopifyProvider implements Provider {
  readonly name = 'shopify';
  /**
   * Shopify sends orders/create and orders/updated (and orders/paid, for a
   * paid order) for one new order, each built from the order as it is, so
   * their bodies can be byte for byte alike: keyed by bytes alone, an
   * orders/updated that arrived first (deferred) would make the creation a
   * duplicate, and the order would never exist. Relabelled bytes cannot
   * harm an order: every Order topic reads the same state from the same
   * bytes, and orders/create creates the order from it only where it does
   * not exist yet.
   */
  readonly bytesPerType = true;

  identify(rawBody: Buffer, headers: IncomingHttpHeaders): IdentifiedDelivery {
    const problems: FieldProblem[] = [];
    const eventId = header(headers, EVENT_ID_HEADER) ?? header(headers, WEBHOOK_ID_HEADER);
    if (eventId === undefined) {
      problems.push({ field: EVENT_ID_HEADER, message: `the ${EVENT_ID_HEADER} (or ${WEBHOOK_ID_HEADER}) header is required` });
    } else if (idOf(eventId, MAX_EVENT_ID_LENGTH) === undefined) {
      problems.push({ field: EVENT_ID_HEADER, message: `the event id header must be at most ${MAX_EVENT_ID_LENGTH} characters without control characters` });
    }
    const topic = header(headers, TOPIC_HEADER);
    if (topic === undefined) problems.push({ field: TOPIC_HEADER, message: `the ${TOPIC_HEADER} header is required` });
    else if (!isPlainText(topic, 1, 100)) problems.push({ field: TOPIC_HEADER, message: `${TOPIC_HEADER} must be a topic such as orders/create` });
    if (problems.length) throw invalid(problems);

    const payload = readJson(rawBody);
    if (!isObject(payload)) throw invalid('body', 'body must be a JSON object (a Shopify Order, Refund, Fulfillment or order edit)');
    return { eventId: eventId!, eventType: topic!, payload };
  }

  /**
   * The Order topics are each the order as it now is (snapshotCommands): the
   * topic names the change, the body says the state; orders/create creates
   * the order from it first.
   */
  commandOf({ eventType, payload }: IdentifiedDelivery): DeliveryCommand {
    if (!isShopifyTopic(eventType)) return { orderId: null, commands: [], ignoredReason: UNKNOWN_TOPIC };
    if (!isObject(payload)) throw invalid('body', 'body must be a JSON object');
    switch (eventType) {
      case 'refunds/create':
        return this.refund(payload);
      case 'fulfillments/create':
        return this.fulfillment(payload);
      case 'orders/edited':
        return { orderId: shopifyOrderEditOf(payload).orderId, commands: [], ignoredReason: READ_FROM_ORDER_UPDATE };
      case 'orders/create': {
        const problems: FieldProblem[] = [];
        const created = this.creation(payload, problems);
        const snapshot = shopifySnapshotOf(payload, problems);
        return { orderId: snapshot.orderId, commands: snapshotCommands(snapshot, created) };
      }
      default: {
        const snapshot = shopifySnapshotOf(payload);
        return { orderId: snapshot.orderId, commands: snapshotCommands(snapshot) };
      }
    }
  }

  understands(eventType: string): boolean {
    return isShopifyTopic(eventType);
  }

  private orderIdOf(payload: Record<string, unknown>, field: string): string {
    const orderId = idOf(payload[field]);
    if (orderId === undefined) throw invalid(field, `${field} must be the order's id: ${ID_RULE}`);
    return orderId;
  }

  /**
   * orders/create: the Order resource as a new order, lines of one SKU added
   * up (its version is the snapshot's); every problem goes into `problems`.
   */
  private creation(order: Record<string, unknown>, problems: FieldProblem[]): CreateOrderCommand {
    const orderId = idOf(order.id);
    if (orderId === undefined) problems.push({ field: 'id', message: `id must be the order's id: ${ID_RULE}` });
    const totalAmount = decimalAmountOf(order.total_price);
    if (totalAmount === undefined) problems.push({ field: 'total_price', message: 'total_price must be an amount such as "199.00"' });
    const currency = currencyOf(order.currency);
    if (currency === undefined) problems.push({ field: 'currency', message: `currency must be ${CURRENCY_RULE}` });
    const lines = lineItemsOf(order.line_items, problems, shopifyUnitPriceOf);

    const customer = isObject(order.customer) ? order.customer : {};
    const billing = isObject(order.billing_address) ? order.billing_address : {};
    // The first of these that is an email is the order's; one that is not is passed over: it only informs,
    // and refusing the order for it would lose the order (and Shopify drops a webhook that keeps failing).
    const email = [order.email, order.contact_email, customer.email].map(emailOf).find((e) => typeof e === 'string');
    const customerName =
      fullName(customer.first_name, customer.last_name) ??
      cleanText(billing.name, 200) ??
      fullName(billing.first_name, billing.last_name) ??
      email ??
      CUSTOMER_PLACEHOLDER;
    return { kind: 'create_order', orderId: orderId ?? '', customerName, customerEmail: email ?? null, totalAmount: totalAmount ?? 0, currency: currency ?? 'USD', lines };
  }

  /**
   * fulfillments/create: a parcel that has shipped (`success`) is
   * `order_fulfilled` of its units, with its id, so that the order's next
   * snapshot, which lists it again, does not ship it twice.
   */
  private fulfillment(body: Record<string, unknown>): DeliveryCommand {
    const { orderId, shipped, status, parcel } = shopifyFulfillmentOf(body);
    if (!shipped) return { orderId, commands: [], ignoredReason: `${FULFILLMENT_NOT_SHIPPED}: ${status}` };
    if (parcel.lines.length === 0) return { orderId, commands: [], ignoredReason: PARCEL_WITHOUT_SKU };
    return { orderId, commands: [{ ...lifecycleCommand(orderId, 'order_fulfilled'), parcel }] };
  }

  /**
   * refunds/create: the units of lines restocked as `return` or `cancel` come
   * back (return_units); a refund of every line refunds the order after it.
   * The Refund resource names only the lines it refunds, not the order's
   * other lines, so whether it is one of every line is the domain's to say,
   * against the lines it keeps (LifecycleCommand.onlyIfRefunding): a refund
   * of some lines is `partial_refund`.
   */
  private refund(refund: Record<string, unknown>): DeliveryCommand {
    const orderId = this.orderIdOf(refund, 'order_id');
    const problems: FieldProblem[] = [];
    const items = linesAt(refund.refund_line_items, 'refund_line_items', problems);
    if (items === undefined) throw invalid(problems);

    // per SKU, the units restocked that had shipped (a return) and that had not (a cancel)
    const returned = new Map<string, number>();
    const cancelled = new Map<string, number>();
    const refunded = new Map<string | null, number>();
    items.forEach((item: unknown, i) => {
      const at = `refund_line_items[${i}]`;
      if (!isObject(item)) {
        problems.push({ field: at, message: `${at} must be an object` });
        return;
      }
      const line = isObject(item.line_item) ? item.line_item : {};
      if (!isQuantity(item.quantity)) {
        problems.push({ field: `${at}.quantity`, message: `${at}.quantity must be ${QUANTITY_RULE}` });
        return;
      }
      const sku = skuOf(line.sku);
      if (sku === undefined) {
        problems.push({ field: `${at}.line_item.sku`, message: `${at}.line_item.sku must be a string of at most 100 characters, or null` });
        return;
      }
      const restocking = typeof item.restock_type === 'string' ? RESTOCKING[item.restock_type] : undefined;
      if (sku !== null && restocking !== undefined) {
        const units = restocking.shipped ? returned : cancelled;
        units.set(sku, (units.get(sku) ?? 0) + item.quantity);
      }
      refunded.set(sku, (refunded.get(sku) ?? 0) + item.quantity);
    });
    if (problems.length) throw invalid(problems);

    const commands: OrderCommand[] = [];
    for (const [units, shipped] of [[returned, true], [cancelled, false]] as const) {
      if (units.size === 0) continue;
      const command: ReturnUnitsCommand = { kind: 'return_units', orderId, lines: [...units].map(([sku, quantity]) => ({ sku, quantity })), shipped };
      commands.push(command);
    }
    if (refunded.size > 0) {
      commands.push({ ...lifecycleCommand(orderId, 'order_refunded'), onlyIfRefunding: [...refunded].map(([sku, quantity]) => ({ sku, quantity })) });
    }
    return commands.length ? { orderId, commands } : { orderId, commands: [], ignoredReason: REFUND_RESTOCKS_NOTHING };
  }
}
