import type { OrderStatus } from './order-status.js';

/** Events that move an existing order; `new_order` creates one and is not in this table. */
export const LIFECYCLE_EVENTS = [
  'payment_failed',
  'payment_succeeded',
  'order_fulfilled',
  'order_refunded',
  'order_cancelled',
] as const;
export type LifecycleEvent = (typeof LIFECYCLE_EVENTS)[number];

/** What a transition does to the order's stock. */
export type StockEffect =
  | 'none'
  /** reserved units go back to available */
  | 'release'
  /** reserved units leave on_hand (shipped) */
  | 'commit'
  /** shipped units come back to on_hand, when the event asks for it */
  | 'restock_if_asked';

export interface Transition {
  from: OrderStatus;
  on: LifecycleEvent;
  to: OrderStatus;
  stock: StockEffect;
  /** The customer paid for an order that will not ship: someone must look (and refund). */
  needsAttention?: true;
}

/**
 * The order lifecycle, as data: every allowed transition and its effect on
 * stock. Anything not listed here is not allowed.
 */
export const TRANSITIONS: readonly Transition[] = [
  { from: 'pending', on: 'payment_failed', to: 'payment_failed', stock: 'none' },
  { from: 'pending', on: 'payment_succeeded', to: 'paid', stock: 'none' },
  { from: 'payment_failed', on: 'payment_succeeded', to: 'paid', stock: 'none' },
  { from: 'paid', on: 'order_fulfilled', to: 'fulfilled', stock: 'commit' },
  { from: 'paid', on: 'order_refunded', to: 'refunded', stock: 'release' },
  { from: 'fulfilled', on: 'order_refunded', to: 'refunded', stock: 'restock_if_asked' },
  { from: 'pending', on: 'order_cancelled', to: 'cancelled', stock: 'release' },
  { from: 'payment_failed', on: 'order_cancelled', to: 'cancelled', stock: 'release' },
  { from: 'paid', on: 'order_cancelled', to: 'cancelled', stock: 'release', needsAttention: true },
];

/**
 * The order in which deferred events are tried once their order allows them,
 * whatever order they arrived in, so a lifecycle delivered backwards ends
 * where it would have ended delivered in order.
 */
export function lifecycleRank(event: string): number {
  const rank = (LIFECYCLE_EVENTS as readonly string[]).indexOf(event);
  return rank === -1 ? LIFECYCLE_EVENTS.length : rank;
}

export function isLifecycleEvent(event: string): event is LifecycleEvent {
  return (LIFECYCLE_EVENTS as readonly string[]).includes(event);
}

export function transitionFor(from: OrderStatus, on: LifecycleEvent): Transition | undefined {
  return TRANSITIONS.find((t) => t.from === from && t.on === on);
}

/** Every status reachable from `from` by any sequence of events (`from` excluded unless on a cycle). */
function reachableFrom(from: OrderStatus): Set<OrderStatus> {
  const seen = new Set<OrderStatus>();
  const queue: OrderStatus[] = [from];
  while (queue.length) {
    const current = queue.shift()!;
    for (const t of TRANSITIONS) {
      if (t.from === current && !seen.has(t.to)) {
        seen.add(t.to);
        queue.push(t.to);
      }
    }
  }
  return seen;
}

/** How an order comes to be: every line reserved, or none and rejected. */
export const CREATION = {
  whenReserved: 'pending',
  whenShort: 'rejected',
  reasonWhenShort: 'insufficient_stock',
} as const satisfies { whenReserved: OrderStatus; whenShort: OrderStatus; reasonWhenShort: string };

/** An event for an order not known yet waits for it. */
export const ORDER_NOT_FOUND = 'order_not_found';

/** A payment naming an order id that more than one source it pays for has: applied to neither. */
export const AMBIGUOUS_ORDER = 'ambiguous_order';

/** Returned units beyond what the order holds change nothing. */
export const NOTHING_LEFT_TO_RETURN = 'nothing_left_to_return';

/** A second new_order for an order id that exists changes nothing. */
export const ORDER_ALREADY_EXISTS = 'order_already_exists';

/** A payment for an order that will never ship: it is ignored, and someone must refund the customer. */
const PAID_FOR_NOTHING: readonly OrderStatus[] = ['rejected', 'cancelled'];

export type Decision =
  | { kind: 'apply'; transition: Transition }
  /** not yet: the order is not known, or a status from which it applies can still be reached */
  | { kind: 'defer'; reason: string }
  /** never: no status from which it applies can be reached any more; `flag`: the order needs attention */
  | { kind: 'ignore'; reason: string; flag: boolean };

/** What to do with `event` for an order in `status` (undefined: no such order yet). */
export function decide(status: OrderStatus | undefined, event: LifecycleEvent): Decision {
  if (status === undefined) return { kind: 'defer', reason: ORDER_NOT_FOUND };
  const transition = transitionFor(status, event);
  if (transition) return { kind: 'apply', transition };
  const later = reachableFrom(status);
  if (TRANSITIONS.some((t) => t.on === event && later.has(t.from))) {
    const needs = new Set(TRANSITIONS.filter((t) => t.on === event).map((t) => t.from));
    return { kind: 'defer', reason: `awaiting_status: ${[...needs].join(' or ')}` };
  }
  if (event === 'payment_succeeded' && PAID_FOR_NOTHING.includes(status)) {
    return { kind: 'ignore', reason: `payment_for_${status}_order`, flag: true };
  }
  return { kind: 'ignore', reason: `transition_not_allowed: ${event} on a ${status} order`, flag: false };
}

/** The ledger movement a transition makes of the order's units, if any (`restock` as the event asked). */
export function stockMovementOf(transition: Pick<Transition, 'stock'>, restock: boolean): 'release' | 'commit' | 'restock' | undefined {
  switch (transition.stock) {
    case 'none':
      return undefined;
    case 'restock_if_asked':
      return restock ? 'restock' : undefined;
    default:
      return transition.stock;
  }
}

/** A payment that does not pay its order: below the order's total, or in another currency. */
export const AMOUNT_MISMATCH = 'amount_mismatch';

/** A payment_succeeded that would apply but does not cover the order is ignored, and the order flagged. */
export function decidePayment(decision: Decision, covers: boolean): Decision {
  return decision.kind === 'apply' && !covers ? { kind: 'ignore', reason: AMOUNT_MISMATCH, flag: true } : decision;
}

/** Whether a payment pays an order of this total and currency (exact decimals, never floating point). */
export function paymentCovers(payment: { amount: string; currency: string }, order: { totalAmount: string; currency: string }): boolean {
  if (payment.currency.toUpperCase() !== order.currency.trim().toUpperCase()) return false;
  return compareDecimals(payment.amount, order.totalAmount) >= 0;
}

/** -1, 0 or 1 as decimal string a is below, equal to or above b (non-negative decimals such as "10", "9.99"). */
export function compareDecimals(a: string, b: string): number {
  const [ai, af = ''] = a.trim().split('.');
  const [bi, bf = ''] = b.trim().split('.');
  const scale = Math.max(af.length, bf.length);
  const x = BigInt(ai + af.padEnd(scale, '0'));
  const y = BigInt(bi + bf.padEnd(scale, '0'));
  return x < y ? -1 : x > y ? 1 : 0;
}

/** A refund of some of an order's lines does not refund the order. */
export const PARTIAL_REFUND = 'partial_refund';

/**
 * Whether refunded units cover every line of an order: for each SKU (and for
 * the lines without one, together) at least as many units as the order has.
 */
export function refundCoversOrder(
  ordered: readonly { sku: string | null; quantity: number }[],
  refunded: readonly { sku: string | null; quantity: number }[],
): boolean {
  const left = new Map<string | null, number>();
  for (const line of ordered) left.set(line.sku, (left.get(line.sku) ?? 0) + line.quantity);
  for (const line of refunded) left.set(line.sku, (left.get(line.sku) ?? 0) - line.quantity);
  return ordered.length > 0 && [...left.values()].every((units) => units <= 0);
}

/**
 * What returned units do to stock, by the order's status: units still
 * reserved (not shipped) are released; shipped units come back to on_hand.
 * In any other status the order holds no units to return.
 */
export function returnMovementOf(status: OrderStatus): 'release' | 'restock' | undefined {
  if (status === 'pending' || status === 'payment_failed' || status === 'paid') return 'release';
  if (status === 'fulfilled') return 'restock';
  return undefined;
}

/**
 * Reservation expiry (RESERVATION_TTL): not an event a source can send
 * (it is not in LIFECYCLE_EVENTS, so no delivery can name it) but the
 * service's own, when an unpaid order has held its units for the TTL on the
 * database's clock. Only unpaid orders expire; a paid order never does.
 */
export const RESERVATION_EXPIRED = 'reservation_expired';

export interface ExpiryTransition {
  from: OrderStatus;
  on: typeof RESERVATION_EXPIRED;
  to: OrderStatus;
  stock: StockEffect;
  /** What the order's status_reason and history row say. */
  reason: typeof RESERVATION_EXPIRED;
}

/** Which orders expire, and what expiry does to them: cancelled, their reservations released. */
export const EXPIRY_TRANSITIONS: readonly ExpiryTransition[] = [
  { from: 'pending', on: RESERVATION_EXPIRED, to: 'cancelled', stock: 'release', reason: RESERVATION_EXPIRED },
  { from: 'payment_failed', on: RESERVATION_EXPIRED, to: 'cancelled', stock: 'release', reason: RESERVATION_EXPIRED },
];

/** The statuses whose orders hold a reservation that can expire (what the sweeper looks for). */
export const EXPIRING_STATUSES: readonly OrderStatus[] = EXPIRY_TRANSITIONS.map((t) => t.from);

export type ExpiryDecision =
  | { kind: 'expire'; transition: ExpiryTransition }
  /** the order stays as it is: `reason` says why (not found, not unpaid any more, not due) */
  | { kind: 'keep'; reason: string };

/**
 * What the sweeper does with an order it found due, once it holds the
 * order's lock and has read its status again (undefined: no such order):
 * `due` is whether the order is at least RESERVATION_TTL old on the
 * database's clock, and `ttlMs` the TTL (0: nothing ever expires).
 */
export function decideExpiry(status: OrderStatus | undefined, due: boolean, ttlMs: number): ExpiryDecision {
  if (ttlMs <= 0) return { kind: 'keep', reason: 'expiry_off' };
  if (status === undefined) return { kind: 'keep', reason: ORDER_NOT_FOUND };
  const transition = EXPIRY_TRANSITIONS.find((t) => t.from === status);
  if (!transition) return { kind: 'keep', reason: `not_unpaid: ${status} order` };
  if (!due) return { kind: 'keep', reason: 'not_due' };
  return { kind: 'expire', transition };
}
