import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { FieldProblem } from '../../common/app-error.js';
import { isPlainText } from '../../common/validators.js';
import type { CreateOrderCommand } from '../../orders/order-commands.js';
import { headerValue } from '../signature/signature-scheme.js';
import { WOOCOMMERCE_HEADERS } from './gateway-headers.js';
import { cleanText, currencyOf, CURRENCY_RULE, decimalAmountOf, emailOf, idOf, invalid, isEventType, isObject, readJson } from './input-rules.js';
import { lineItemsOf, wooUnitPriceOf } from './native-lines.js';
import { snapshotCommands, wooSnapshotOf } from './order-snapshots.js';
import type { DeliveryCommand, IdentifiedDelivery, Provider } from './provider.js';
import { UNKNOWN_EVENT_TYPE } from './shelfsync.provider.js';

const { topic: TOPIC_HEADER, signature: SIGNATURE_HEADER } = WOOCOMMERCE_HEADERS;
/** The body of WooCommerce's ping (class-wc-webhook.php, deliver_ping()): `webhook_id=<the webhook's id>`. */
const PING_BODY = /^webhook_id=\d{1,20}$/;
/** Form-encoded, as WordPress's HTTP API posts a string body (a charset parameter allowed). */
const FORM_CONTENT_TYPE = /^application\/x-www-form-urlencoded\s*(;.*)?$/i;

/**
 * WooCommerce's own deliveries (the REST API's order resource, posted on
 * `order.created` and `order.updated`), mapped onto the contract's events.
 *
 * The event id: `<topic>:<order id>:<date_modified_gmt>:<sha256 of the raw
 * body, 32 hex digits>`. WooCommerce's `X-WC-Webhook-Delivery-ID` is
 * `wp_hash(webhook id . strtotime('now'))` (class-wc-webhook.php,
 * get_new_delivery_id()): the same for every delivery of a webhook within one
 * second, and different for a resend of the same change a second later, so
 * alone it fails both ways. The id here is made of what the change is:
 * - a resend of the same change carries the same order in the same state,
 *   so the same bytes (the body is the order as the REST API shows it), and
 *   so the same id: a duplicate, however much later it comes and whatever
 *   delivery id it carries;
 * - two different changes, even within one second (so with one
 *   `date_modified_gmt`, which has one-second resolution, and one delivery
 *   id), differ somewhere in the order (its status, a line, a note, a
 *   refund), so in the bytes and in the digest: two events.
 * The topic is part of it because WooCommerce may post the same order, byte
 * for byte, as `order.created` and `order.updated`; the order id and
 * modification time make the id readable in the event log. (The event log
 * also treats identical bytes on one source as a duplicate, since none of
 * WooCommerce's headers are signed.)
 */
export function wooEventId(topic: string, rawBody: Buffer, order: unknown): string {
  const digest = createHash('sha256').update(rawBody).digest('hex').slice(0, 32);
  const id = isObject(order) ? (idOf(order.id) ?? '-') : '-';
  const modified = isObject(order) && isPlainText(order.date_modified_gmt, 1, 40) ? order.date_modified_gmt : '-';
  return `${topic}:${id}:${modified}:${digest}`;
}

export class WooCommerceProvider implements Provider {
  readonly name = 'woocommerce';
  /**
   * WooCommerce builds a delivery's body from the order when it sends it, so
   * an order's order.created and order.updated can be byte for byte alike:
   * keyed by bytes alone, an update that arrived first (deferred) would make
   * the creation a duplicate, and the order would never exist. Relabelled
   * bytes cannot harm: order.created gives the order the lines the
   * order.updated of the same bytes would, and applies no status that update
   * would not.
   */
  readonly bytesPerType = true;

  identify(rawBody: Buffer, headers: IncomingHttpHeaders): IdentifiedDelivery {
    const topic = headerValue(headers, TOPIC_HEADER)?.trim();
    if (!topic) throw invalid(TOPIC_HEADER, `${TOPIC_HEADER} header is required`);
    if (!isEventType(topic)) throw invalid(TOPIC_HEADER, `${TOPIC_HEADER} must be a topic such as order.created`);
    const payload = readJson(rawBody);
    return { eventId: wooEventId(topic, rawBody, payload), eventType: topic, payload };
  }

  /**
   * Each delivery is the order as it now is (snapshotCommands, versioned by
   * `date_modified_gmt`); order.created creates the order from it first.
   */
  commandOf({ eventType, payload }: IdentifiedDelivery): DeliveryCommand {
    if (!this.understands(eventType)) return { orderId: null, commands: [], ignoredReason: UNKNOWN_EVENT_TYPE };
    if (!isObject(payload)) throw invalid('body', 'body must be a JSON object (a WooCommerce order)');
    const problems: FieldProblem[] = [];
    const creation = eventType === 'order.created' ? createCommandOf(payload, problems) : undefined;
    const snapshot = wooSnapshotOf(payload, problems);
    return { orderId: snapshot.orderId, commands: snapshotCommands(snapshot, creation) };
  }

  understands(eventType: string): boolean {
    return eventType === 'order.created' || eventType === 'order.updated';
  }

  /**
   * WooCommerce's ping, sent when a webhook is saved (class-wc-webhook.php,
   * deliver_ping()): the form-encoded body `webhook_id=<n>`, unsigned. Only
   * that exact shape, without a signature header, and (if it says) form
   * encoded, is acknowledged unverified; anything else unsigned is refused.
   */
  acknowledgesUnverified(rawBody: Buffer, headers: IncomingHttpHeaders): boolean {
    if (headers[SIGNATURE_HEADER] !== undefined) return false;
    const type = headerValue(headers, 'content-type');
    if (type !== undefined && !FORM_CONTENT_TYPE.test(type)) return false;
    return rawBody.length <= 32 && PING_BODY.test(rawBody.toString('latin1'));
  }
}

/** `create_order` from the order resource (its id and version are the snapshot's); every problem goes into `problems`. */
function createCommandOf(order: Record<string, unknown>, problems: FieldProblem[]): CreateOrderCommand {
  const orderId = idOf(order.id) ?? '';
  const billing = isObject(order.billing) ? order.billing : {};
  const shipping = isObject(order.shipping) ? order.shipping : {};
  // An email that is not one is passed over (it only informs): refusing it would lose the order, and WooCommerce never retries.
  const email = emailOf(billing.email) ?? null;
  // A guest order may carry no name: then the shipping name, the email, or the order itself names the customer.
  const customerName = nameOf(billing) ?? nameOf(shipping) ?? email ?? `WooCommerce order ${orderId}`;

  const totalAmount = decimalAmountOf(order.total);
  if (totalAmount === undefined) problems.push({ field: 'total', message: 'total must be a non-negative decimal amount such as "29.35"' });
  const currency = currencyOf(order.currency);
  if (currency === undefined) problems.push({ field: 'currency', message: `currency must be ${CURRENCY_RULE}` });

  return {
    kind: 'create_order',
    orderId,
    customerName,
    customerEmail: email ?? null,
    totalAmount: totalAmount ?? 0,
    currency: currency ?? 'USD',
    lines: lineItemsOf(order.line_items, problems, wooUnitPriceOf),
  };
}

/** The name on an address, cleaned (cleanText); undefined when it has none. */
function nameOf(address: Record<string, unknown>): string | undefined {
  return cleanText([cleanText(address.first_name, 200), cleanText(address.last_name, 200)].filter(Boolean).join(' '), 200);
}
