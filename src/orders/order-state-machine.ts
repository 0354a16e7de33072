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
  | 'restock_if_asked'
  /** reserved units go back to available, and shipped ones to on_hand when the event asks (a part-shipped order refunded) */
  | 'release_and_restock_if_asked';

/**
 * Why an order needs a person (contract, "Attention"): each flag the state
 * machine raises names one of these.
 */
export const ATTENTION_REASONS = [
  'payment_for_rejected_order',
  'payment_for_cancelled_order',
  'amount_mismatch',
  'double_charge',
  'dispute_opened',
  'dispute_lost',
  'cancelled_after_payment',
  'edit_short',
] as const;
export type AttentionReason = (typeof ATTENTION_REASONS)[number];

export interface Transition {
  from: OrderStatus;
  on: LifecycleEvent;
  to: OrderStatus;
  stock: StockEffect;
  /** The transition applies, and someone must look (a paid order cancelled must be refunded). */
  attention?: AttentionReason;
  /** It is the order_fulfilled of a parcel that leaves units to ship (the other order_fulfilled ships the last). */
  partial?: true;
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
  { from: 'paid', on: 'order_fulfilled', to: 'partially_fulfilled', stock: 'commit', partial: true },
  { from: 'partially_fulfilled', on: 'order_fulfilled', to: 'fulfilled', stock: 'commit' },
  { from: 'paid', on: 'order_refunded', to: 'refunded', stock: 'release' },
  { from: 'partially_fulfilled', on: 'order_refunded', to: 'refunded', stock: 'release_and_restock_if_asked' },
  { from: 'fulfilled', on: 'order_refunded', to: 'refunded', stock: 'restock_if_asked' },
  { from: 'pending', on: 'order_cancelled', to: 'cancelled', stock: 'release' },
  { from: 'payment_failed', on: 'order_cancelled', to: 'cancelled', stock: 'release' },
  { from: 'paid', on: 'order_cancelled', to: 'cancelled', stock: 'release', attention: 'cancelled_after_payment' },
  { from: 'partially_fulfilled', on: 'order_cancelled', to: 'cancelled', stock: 'release', attention: 'cancelled_after_payment' },
];

/**
 * A payment disputed (Stripe's `charge.dispute.created`, and `.closed` when
 * the dispute is lost): not a lifecycle event (no source sends it in the
 * envelope, it moves neither stock nor status), but decided like one: it
 * flags the order.
 */
export const DISPUTE_EVENTS = ['dispute_opened', 'dispute_lost'] as const;
export type DisputeEvent = (typeof DISPUTE_EVENTS)[number];

/** Units of an order that come back without the order changing status (a partial refund with restock). */
export const UNITS_RETURNED = 'units_returned';

/** The order's lines become a new list (the envelope's order_edited, a gateway's snapshot): the status stays. */
export const ORDER_EDITED = 'order_edited';

/** What a command asks of an order: a lifecycle event, or a dispute. */
export type OrderEvent = LifecycleEvent | DisputeEvent;
/** Everything decide() rules on. */
export type DecidedEvent = OrderEvent | typeof UNITS_RETURNED | typeof ORDER_EDITED;

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

/** The transition of `on` from `from`; `partial`: the one of a parcel that leaves units to ship. */
export function transitionFor(from: OrderStatus, on: LifecycleEvent, partial = false): Transition | undefined {
  return TRANSITIONS.find((t) => t.from === from && t.on === on && (t.partial === true) === partial);
}

/** Every status reachable from `from` by any sequence of events, not passing through `avoiding` (`from` excluded unless on a cycle). */
function reachableFrom(from: OrderStatus, avoiding?: OrderStatus): Set<OrderStatus> {
  const seen = new Set<OrderStatus>();
  const queue: OrderStatus[] = [from];
  while (queue.length) {
    const current = queue.shift()!;
    for (const t of TRANSITIONS) {
      if (t.from === current && t.to !== avoiding && !seen.has(t.to)) {
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

/** A redelivery of what the order already shows (a gateway's own follow-up): changes nothing, flags nothing. */
export const ALREADY_APPLIED = 'already_applied';

/** A gateway's snapshot of the order older than the newest one applied: it changes nothing, nor does the rest of its delivery. */
export const STALE = 'stale';

/** A parcel of units none of which the order still holds to ship. */
export const NOTHING_LEFT_TO_SHIP = 'nothing_left_to_ship';

/** A payment that does not pay its order: below the order's total, or in another currency. */
export const AMOUNT_MISMATCH = 'amount_mismatch';

/** A refund of part of an order's lines or money does not refund the order. */
export const PARTIAL_REFUND = 'partial_refund';

/**
 * A refund of a payment other than the one the order keeps (the second
 * charge of a double charge, refunded as it should be) does not refund the
 * order: the order's own payment was not given back.
 */
export const REFUND_OF_ANOTHER_PAYMENT = 'refund_of_another_payment';

/** The flag, per status, of a payment for an order that will never ship (someone must refund the customer). */
const PAID_FOR_NOTHING: Partial<Record<OrderStatus, AttentionReason>> = {
  rejected: 'payment_for_rejected_order',
  cancelled: 'payment_for_cancelled_order',
};

/**
 * The statuses an order is in only once it was paid: `paid` and what is
 * reached only through it (`cancelled` is not: an unpaid order is cancelled
 * too). A payment there was already taken.
 */
const ONCE_PAID: ReadonlySet<OrderStatus> = (() => {
  const paid = transitionFor(CREATION.whenReserved, 'payment_succeeded')!.to;
  const unpaid = reachableFrom(CREATION.whenReserved, paid);
  return new Set([paid, ...[...reachableFrom(paid)].filter((status) => !unpaid.has(status))]);
})();

/** The status an event brings an order to (one for every lifecycle event; a parcel's aside). */
function statusAfter(event: LifecycleEvent): OrderStatus {
  return TRANSITIONS.find((t) => t.on === event && !t.partial)!.to;
}

/** The ledger movements an order's units can make. */
export type StockMovement = 'release' | 'commit' | 'restock';

/**
 * What a decision does to the order's units: a ledger movement of all it
 * holds (of a parcel's units, or of the units returned, when the command
 * names them); `release_and_restock`: its reserved units released and its
 * shipped ones back on hand; `edit`: its lines become the new list.
 */
export type OrderStockEffect = StockMovement | 'release_and_restock' | 'edit';

/**
 * What the order's units are in `status`, by what leaving it does to them:
 * reserved where a transition releases or ships them, shipped where one
 * puts them back on hand, none otherwise (final statuses).
 */
export function unitsHeldIn(status: OrderStatus): 'reserved' | 'shipped' | 'none' {
  const effects = TRANSITIONS.filter((t) => t.from === status).map((t) => t.stock);
  if (effects.includes('restock_if_asked')) return 'shipped';
  if (effects.includes('release') || effects.includes('commit')) return 'reserved';
  return 'none';
}

/**
 * What the service reads about the order and the command for decide():
 * only what the command makes relevant is there.
 */
export interface DecisionFacts {
  /** The event asks that shipped units come back to on_hand (order_refunded's `restock`). */
  restock: boolean;
  /** A payment stating its amount: whether it pays the order's total in the order's currency (paymentCovers). */
  paymentCovers?: boolean;
  /** The payment the event names, and the one the order keeps (null: none yet). Absent when the event names none. */
  paymentIds?: { named: string; kept: string | null };
  /**
   * A refund that refunds the order only if it is of the whole order (Shopify
   * names its lines, a Stripe refund object its amount): whether it is.
   * Absent for a refund of the order as such (the envelope's, Stripe's charge.refunded).
   */
  refundCovers?: boolean;
  /**
   * An order_fulfilled of a parcel: whether its id was shipped before
   * (`seen`), whether the order still holds any of its units to ship, and
   * whether it ships the last of them (`completes`).
   */
  parcel?: { seen: boolean; shipsSomething: boolean; completes: boolean };
  /**
   * An order_edited: whether the list is from an older snapshot than the
   * newest applied (`stale`), whether it changes the lines, and whether the
   * units it adds are more than are available (`short`).
   */
  edit?: { stale: boolean; changes: boolean; short: boolean; refills?: boolean };
  /** Returned units: whether they had shipped (a return) or not (a cancel); absent: as the status says. */
  returnsShipped?: boolean;
}

export type Decision =
  | {
      kind: 'apply';
      /** The status change, with its history row; null when the status stays (units returned, a dispute). */
      transition: Transition | null;
      /** What the order's units do (for units_returned: the units returned; for a parcel: its units); null: nothing moves. */
      movement: OrderStockEffect | null;
      /** The reasons to flag the order with. */
      flags: AttentionReason[];
      /** The payment id the order keeps from now on; null: it keeps what it has. */
      keepPaymentId: string | null;
    }
  /** not yet: the order is not known, or a status from which it applies can still be reached */
  | { kind: 'defer'; reason: string }
  /** never (or already done): `flags` name what needs a person */
  | { kind: 'ignore'; reason: string; flags: AttentionReason[]; keepPaymentId: string | null };

const apply = (transition: Transition | null, movement: OrderStockEffect | null, flags: AttentionReason[] = [], keepPaymentId: string | null = null): Decision => ({
  kind: 'apply',
  transition,
  movement,
  flags,
  keepPaymentId,
});
const ignore = (reason: string, flags: AttentionReason[] = [], keepPaymentId: string | null = null): Decision => ({ kind: 'ignore', reason, flags, keepPaymentId });

/**
 * Everything about an event for an order in `status` (undefined: no such
 * order yet), from what the service read (`facts`): whether it applies (its
 * transition, its stock movement, the flags it raises, the payment id kept),
 * waits, or is ignored and why. The service only carries it out.
 */
export function decide(status: OrderStatus | undefined, event: DecidedEvent, facts: DecisionFacts): Decision {
  if (status === undefined) return { kind: 'defer', reason: ORDER_NOT_FOUND };
  switch (event) {
    case 'dispute_opened':
    case 'dispute_lost':
      // Money is contested, not goods: whatever the status, someone must answer it; nothing moves.
      return apply(null, null, [event]);
    case UNITS_RETURNED:
      return decideReturn(status, facts.returnsShipped);
    case ORDER_EDITED:
      return decideEdit(status, facts);
    case 'payment_succeeded':
      return decidePayment(status, facts);
    case 'order_refunded':
      return decideRefund(status, facts);
    case 'order_fulfilled':
      if (facts.parcel) return decideParcel(status, facts.parcel, facts);
      return status === statusAfter(event) ? ignore(ALREADY_APPLIED) : byTransitions(status, event, facts);
    default:
      return status === statusAfter(event) ? ignore(ALREADY_APPLIED) : byTransitions(status, event, facts);
  }
}

/** Apply the transition the table has, or wait for a status that has one, or never. */
function byTransitions(status: OrderStatus, event: LifecycleEvent, facts: DecisionFacts): Decision {
  const transition = transitionFor(status, event);
  if (transition) return apply(transition, stockMovementOf(transition, facts.restock), transition.attention ? [transition.attention] : []);
  const later = reachableFrom(status);
  if (TRANSITIONS.some((t) => t.on === event && later.has(t.from))) {
    const needs = new Set(TRANSITIONS.filter((t) => t.on === event).map((t) => t.from));
    return { kind: 'defer', reason: `awaiting_status: ${[...needs].join(' or ')}` };
  }
  return ignore(`transition_not_allowed: ${event} on a ${status} order`);
}

/**
 * A payment: for an order paid already, the same payment again (or one that
 * names none) is a redelivery, another is a double charge; the first id
 * named for a paid order that keeps none is kept. Otherwise it pays the order
 * when it covers it, and is flagged when it cannot.
 */
function decidePayment(status: OrderStatus, facts: DecisionFacts): Decision {
  const ids = facts.paymentIds;
  if (ONCE_PAID.has(status)) {
    if (ids === undefined || ids.named === ids.kept) return ignore(ALREADY_APPLIED);
    if (ids.kept !== null) return ignore('double_charge', ['double_charge']);
    // The order was paid through a source that names no payment (Shopify's orders/create): this is that payment, if it covers the order.
    return facts.paymentCovers === false ? ignore(AMOUNT_MISMATCH, [AMOUNT_MISMATCH]) : ignore(ALREADY_APPLIED, [], ids.named);
  }
  const decision = byTransitions(status, 'payment_succeeded', facts);
  if (decision.kind === 'apply') {
    return facts.paymentCovers === false ? ignore(AMOUNT_MISMATCH, [AMOUNT_MISMATCH]) : { ...decision, keepPaymentId: ids?.named ?? null };
  }
  // the payment that paid an order since cancelled, told again
  if (ids !== undefined && ids.named === ids.kept) return ignore(ALREADY_APPLIED);
  const flag = PAID_FOR_NOTHING[status];
  return flag ? ignore(flag, [flag]) : decision;
}

/** A refund: of the order's own payment, of all of it, once. */
function decideRefund(status: OrderStatus, facts: DecisionFacts): Decision {
  const ids = facts.paymentIds;
  if (ids !== undefined && ids.kept !== null && ids.named !== ids.kept) return ignore(REFUND_OF_ANOTHER_PAYMENT);
  if (status === statusAfter('order_refunded')) return ignore(ALREADY_APPLIED);
  const decision = byTransitions(status, 'order_refunded', facts);
  // a partial refund never refunds the order, whatever status it reaches
  if (decision.kind !== 'ignore' && facts.refundCovers === false) return ignore(PARTIAL_REFUND);
  return decision;
}

/**
 * A parcel: its units ship from a paid (or part-shipped) order, which is
 * fulfilled once the last unit has shipped and partially_fulfilled until
 * then; one told before ships nothing more. Anything else as the whole
 * order's order_fulfilled (it waits for the payment, never ships from a
 * cancelled order).
 */
function decideParcel(status: OrderStatus, parcel: NonNullable<DecisionFacts['parcel']>, facts: DecisionFacts): Decision {
  if (status === statusAfter('order_fulfilled') || parcel.seen) return ignore(ALREADY_APPLIED);
  const last = transitionFor(status, 'order_fulfilled');
  if (!last) return byTransitions(status, 'order_fulfilled', facts);
  if (!parcel.shipsSomething) return ignore(NOTHING_LEFT_TO_SHIP);
  // a parcel that leaves units to ship: the partial transition, or none when the order is part-shipped already
  return apply(parcel.completes ? last : (transitionFor(status, 'order_fulfilled', true) ?? null), 'commit');
}

/**
 * A new list of lines: an older snapshot's changes nothing; the same lines
 * again are already applied (unless units an earlier short edit could not
 * reserve can be tried again: `refills`); otherwise applied while the order holds its
 * units reserved (not yet shipped whole, not closed), flagged edit_short when
 * it adds more units than are available (it then reserves nothing more).
 */
function decideEdit(status: OrderStatus, facts: DecisionFacts): Decision {
  const edit = facts.edit ?? { stale: false, changes: true, short: false };
  if (edit.stale) return ignore(STALE);
  const reserving = unitsHeldIn(status) === 'reserved';
  // the same list again: already applied, unless it still asks for units an earlier short edit could not reserve
  if (!edit.changes && !(edit.refills && reserving)) return ignore(ALREADY_APPLIED);
  if (!reserving) return ignore(`not_editable: ${status} order`);
  return apply(null, 'edit', edit.short ? ['edit_short'] : []);
}

/** The statuses an order has shipped units in: those a commit brings it to (a parcel, the whole order). */
const HAS_SHIPPED: ReadonlySet<OrderStatus> = new Set(TRANSITIONS.filter((t) => t.stock === 'commit').map((t) => t.to));

/**
 * Returned units: released while the order holds them reserved, back on
 * hand once shipped. When the return says which (`shipped`), a part-shipped
 * order puts shipped ones back and releases unshipped ones; shipped units
 * returned before the order shipped wait for it; units of a kind the order
 * can no longer hold change nothing.
 */
function decideReturn(status: OrderStatus, shipped: boolean | undefined): Decision {
  if (shipped === true) {
    if (HAS_SHIPPED.has(status)) return apply(null, 'restock');
    // told before the parcel it returns (gateways deliver out of order): it waits for the shipment
    const reachable = reachableFrom(status);
    const later = [...HAS_SHIPPED].filter((next) => reachable.has(next));
    return later.length ? { kind: 'defer', reason: `awaiting_status: ${later.join(' or ')}` } : ignore(`no_shipped_units_to_return: ${status} order`);
  }
  if (shipped === false) return unitsHeldIn(status) === 'reserved' ? apply(null, 'release') : ignore(`no_unshipped_units_to_return: ${status} order`);
  switch (unitsHeldIn(status)) {
    case 'reserved':
      return apply(null, 'release');
    case 'shipped':
      return apply(null, 'restock');
    case 'none':
      return ignore(`no_units_to_return: ${status} order`);
  }
}

/** The ledger movement a transition makes of the order's units, if any (`restock` as the event asked). */
export function stockMovementOf(transition: Pick<Transition, 'stock'>, restock: boolean): Exclude<OrderStockEffect, 'edit'> | null {
  switch (transition.stock) {
    case 'none':
      return null;
    case 'restock_if_asked':
      return restock ? 'restock' : null;
    case 'release_and_restock_if_asked':
      return restock ? 'release_and_restock' : 'release';
    default:
      return transition.stock;
  }
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
