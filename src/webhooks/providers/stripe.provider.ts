import type { LifecycleCommand, Payment } from '../../orders/order-commands.js';
import { type OrderEvent, PARTIAL_REFUND } from '../../orders/order-state-machine.js';
import { cleanText, currencyOf, ID_RULE, idOf, invalid, isEventType, isObject, MAX_AMOUNT, readJson } from './input-rules.js';
import type { DeliveryCommand, IdentifiedDelivery, Provider } from './provider.js';
import { majorUnits } from './stripe-currencies.js';

/** A Checkout Session that completed without its payment (a delayed method such as SEPA debit, or none due). */
export const PAYMENT_NOT_COMPLETED = 'payment_not_completed';
/** A Refund not (yet) carried out: pending, requires_action, failed, canceled (the reason names the status). */
export const REFUND_NOT_SUCCEEDED = 'refund_not_succeeded';
/** A dispute closed otherwise than lost (won, warning_closed, ...): the money stays; nothing to flag (the reason names the status). */
export const DISPUTE_NOT_LOST = 'dispute_not_lost';
/** An event that names neither an order (metadata.order_id, client_reference_id) nor a payment intent. */
export const NO_ORDER = 'no_order';
/** The contract's reason for an event type a source does not map (as the envelope's UNKNOWN_EVENT_TYPE). */
export const UNKNOWN_EVENT_TYPE = 'unknown_event_type';

/** The event types read, and what each becomes. */
const MAPPED = [
  'payment_intent.succeeded',
  'payment_intent.payment_failed',
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
  'checkout.session.async_payment_failed',
  'charge.refunded',
  'refund.created',
  'refund.updated',
  'charge.dispute.created',
  'charge.dispute.closed',
] as const;
type MappedType = (typeof MAPPED)[number];

/** Stripe's event, as far as it is read: the envelope names it, `data.object` is what it is about. */
interface StripeEvent {
  object: Record<string, unknown>;
}

/** Where an event's object sends its commands: the order named, else the payment that paid one. */
interface Target {
  orderId: string | null;
  byPayment?: string;
}

/**
 * Stripe's own deliveries (https://docs.stripe.com/api/events/object):
 * payments, failed payments, full refunds and disputes of orders another
 * source created. The order is the object's `metadata.order_id` (a Checkout
 * Session's `client_reference_id` too), else the order its payment intent
 * paid. Amounts come in the currency's minor units (stripe-currencies.ts).
 */
export class StripeProvider implements Provider {
  readonly name = 'stripe';

  identify(rawBody: Buffer): IdentifiedDelivery {
    const event = readJson(rawBody);
    if (!isObject(event)) throw invalid('body', 'must be a Stripe event object');
    const eventId = idOf(event.id);
    if (eventId === undefined) throw invalid('id', `must be the event's id: ${ID_RULE}`);
    if (!isEventType(event.type)) {
      throw invalid('type', 'must be the event type (such as payment_intent.succeeded)');
    }
    const data = event.data;
    if (!isObject(data) || !isObject(data.object)) throw invalid('data.object', 'must be the object the event is about');
    const payload: StripeEvent = { object: data.object };
    return { eventId, eventType: event.type, payload };
  }

  understands(eventType: string): boolean {
    return (MAPPED as readonly string[]).includes(eventType);
  }

  commandOf({ eventType, payload }: IdentifiedDelivery): DeliveryCommand {
    if (!this.understands(eventType)) return { orderId: null, commands: [], ignoredReason: UNKNOWN_EVENT_TYPE };
    const { object } = payload as StripeEvent;
    return this.read(eventType as MappedType, object);
  }

  private read(type: MappedType, object: Record<string, unknown>): DeliveryCommand {
    switch (type) {
      case 'payment_intent.succeeded': {
        const intentId = requiredId(object, 'id');
        const payment = paymentOf(object, object.amount_received === undefined || object.amount_received === null ? 'amount' : 'amount_received');
        return to(targetOf(object, intentId), lifecycle('payment_succeeded', { payment, paymentId: intentId }));
      }
      case 'payment_intent.payment_failed': {
        const intentId = requiredId(object, 'id');
        return to(targetOf(object, intentId), lifecycle('payment_failed', { reason: failureOf(object.last_payment_error) }));
      }
      case 'checkout.session.completed':
      case 'checkout.session.async_payment_succeeded': {
        const intentId = paymentIntentOf(object, 'payment_intent');
        const target = targetOf(object, intentId, true);
        if (type === 'checkout.session.completed' && object.payment_status !== 'paid') return ignored(target, PAYMENT_NOT_COMPLETED);
        const payment = paymentOf(object, 'amount_total');
        return to(target, lifecycle('payment_succeeded', intentId === undefined ? { payment } : { payment, paymentId: intentId }));
      }
      case 'checkout.session.async_payment_failed': {
        const target = targetOf(object, paymentIntentOf(object, 'payment_intent'), true);
        // A session carries no error of its own; why the delayed payment failed is on its payment intent.
        return to(target, lifecycle('payment_failed', {}));
      }
      case 'charge.refunded': {
        const intentId = paymentIntentOf(object, 'payment_intent');
        const target = targetOf(object, intentId);
        const amount = minorOf(object, 'amount');
        const refunded = minorOf(object, 'amount_refunded');
        if (refunded !== amount) return ignored(target, PARTIAL_REFUND);
        // Stripe knows money, not parcels: whether units come back is not its to say.
        return to(target, lifecycle('order_refunded', withPaymentId({ restock: false }, intentId)));
      }
      case 'refund.created':
      case 'refund.updated': {
        // A Refund names its payment intent, rarely an order (its metadata is the refund's own).
        const intentId = paymentIntentOf(object, 'payment_intent');
        const target = targetOf(object, intentId);
        const status = cleanText(object.status, 100);
        if (status === undefined) throw invalid('data.object.status', "must be the refund's status (such as succeeded)");
        if (status !== 'succeeded') return ignored(target, `${REFUND_NOT_SUCCEEDED}: ${status}`);
        // The Refund carries its own amount, not the charge's: whether it is of the whole order is the
        // domain's to say, against the order's total (LifecycleCommand.onlyIfRefundingAmount).
        const refunded = paymentOf(object, 'amount');
        return to(target, lifecycle('order_refunded', withPaymentId({ restock: false, onlyIfRefundingAmount: refunded }, intentId)));
      }
      case 'charge.dispute.created':
      case 'charge.dispute.closed': {
        const target = targetOf(object, paymentIntentOf(object, 'payment_intent'));
        if (type === 'charge.dispute.created') return to(target, lifecycle('dispute_opened', {}));
        const status = cleanText(object.status, 100);
        if (status === undefined) throw invalid('data.object.status', "must be the dispute's status (such as lost)");
        return status === 'lost' ? to(target, lifecycle('dispute_lost', {})) : ignored(target, `${DISPUTE_NOT_LOST}: ${status}`);
      }
    }
  }
}

/** The command's fields, with the payment they are about when the object names one. */
function withPaymentId<T extends object>(extra: T, paymentId: string | undefined): T & { paymentId?: string } {
  return paymentId === undefined ? extra : { ...extra, paymentId };
}

function lifecycle(
  event: OrderEvent,
  extra: { reason?: string | null; restock?: boolean; payment?: Payment; paymentId?: string; onlyIfRefundingAmount?: Payment },
): LifecycleCommand {
  const { reason = null, restock = false, ...rest } = extra;
  return { kind: 'lifecycle', orderId: '', event, reason, restock, ...rest };
}

/** The command for its target; an event that names neither an order nor a payment asks nothing. */
function to(target: Target | null, command: LifecycleCommand): DeliveryCommand {
  if (target === null) return { orderId: null, commands: [], ignoredReason: NO_ORDER };
  if (target.orderId !== null) return { orderId: target.orderId, commands: [{ ...command, orderId: target.orderId }] };
  return { orderId: null, commands: [command], byPayment: target.byPayment };
}

function ignored(target: Target | null, reason: string): DeliveryCommand {
  return { orderId: target?.orderId ?? null, commands: [], ignoredReason: reason };
}

/**
 * The order an object names: `metadata.order_id`, for a Checkout Session also
 * `client_reference_id`; else the order its payment intent paid; else none.
 */
function targetOf(object: Record<string, unknown>, paymentIntent: string | undefined, checkout = false): Target | null {
  const metadata = object.metadata;
  if (metadata !== undefined && metadata !== null && !isObject(metadata)) {
    throw invalid('data.object.metadata', 'must be an object of strings');
  }
  const named = optionalId(metadata ?? {}, 'order_id', 'data.object.metadata.order_id') ?? (checkout ? optionalId(object, 'client_reference_id') : undefined);
  if (named !== undefined) return { orderId: named };
  if (paymentIntent !== undefined) return { orderId: null, byPayment: paymentIntent };
  return null;
}

function requiredId(object: Record<string, unknown>, key: string): string {
  const id = idOf(object[key]);
  if (id === undefined) throw invalid(`data.object.${key}`, `must be an id: ${ID_RULE}`);
  return id;
}

/** An id, or undefined when absent (null or empty); present but not an id is a bad body. */
function optionalId(object: Record<string, unknown>, key: string, field = `data.object.${key}`): string | undefined {
  const value = object[key];
  if (value === undefined || value === null || value === '') return undefined;
  const id = idOf(value);
  if (id === undefined) throw invalid(field, `must be an id: ${ID_RULE}`);
  return id;
}

/** A payment intent named by its id, or expanded into an object (https://docs.stripe.com/api/expanding_objects). */
function paymentIntentOf(object: Record<string, unknown>, key: string): string | undefined {
  const value = object[key];
  if (!isObject(value)) return optionalId(object, key);
  const id = idOf(value.id);
  if (id === undefined) throw invalid(`data.object.${key}.id`, `must be the id of the expanded payment intent: ${ID_RULE}`);
  return id;
}

function minorOf(object: Record<string, unknown>, key: string): number {
  const value = object[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalid(`data.object.${key}`, "must be a non-negative integer (the amount in the currency's minor units)");
  }
  return value;
}

/** The amount at `key` with the object's currency, in major units (Stripe sends minor units). */
function paymentOf(object: Record<string, unknown>, key: string): Payment {
  const minor = minorOf(object, key);
  const currency = currencyOf(object.currency);
  if (currency === undefined) throw invalid('data.object.currency', 'must be a three-letter ISO currency code');
  const amount = majorUnits(minor, currency);
  if (Number(amount) > MAX_AMOUNT) throw invalid(`data.object.${key}`, `must be at most ${MAX_AMOUNT} in major units`);
  return { amount, currency };
}

/** Why a payment failed, from Stripe's last_payment_error (code and message, cleaned: it only informs), when it says. */
function failureOf(error: unknown): string | null {
  if (!isObject(error)) return null;
  const parts = [cleanText(error.code, 500), cleanText(error.message, 500)].filter((part) => part !== undefined);
  return parts.length ? cleanText(parts.join(': '), 500)! : null;
}
