import { lifecycleRank, type OrderEvent } from './order-state-machine.js';
import type { OrderStatus } from './order-status.js';

/**
 * What the orders domain is asked to do. A source's provider turns a
 * delivery into one of these (src/webhooks/providers/); the domain never
 * sees where it came from beyond its cause.
 */
export interface CreateOrderCommand {
  kind: 'create_order';
  orderId: string;
  customerName: string;
  customerEmail: string | null;
  totalAmount: number;
  currency: string;
  /** A line without a SKU (a gateway allows products without one) is kept on the order and reserves nothing. */
  lines: { sku: string | null; quantity: number; unitPrice: number | null }[];
  /** A gateway's version of the order as created (its first snapshot): an older snapshot is stale. */
  version?: string;
}

/**
 * The whole list of an order's lines as the order now is (the envelope's
 * order_edited; a gateway's snapshot of the order): units no longer ordered
 * are released, new ones reserved (all of the increase or none: edit_short),
 * units already shipped stay shipped. With a version (a gateway's snapshot),
 * a list older than the newest one applied to the order changes nothing
 * (stale), and neither does the rest of its delivery.
 */
export interface EditOrderCommand {
  kind: 'edit_order';
  orderId: string;
  /** Per SKU (lines of one SKU added up; null: lines without one), the units the order now asks for (0: removed). */
  lines: { sku: string | null; quantity: number; unitPrice: number | null }[];
  /** The gateway's last change of the order, ISO-8601 UTC with milliseconds (Shopify updated_at, WooCommerce date_modified_gmt); absent: the envelope's, always current. */
  version?: string;
  /** The order's total as it now is, when the source says. */
  totalAmount?: number;
}

/** An event that moves an existing order (the state machine's LIFECYCLE_EVENTS), or a dispute of its payment (DISPUTE_EVENTS). */
export interface LifecycleCommand {
  kind: 'lifecycle';
  orderId: string;
  event: OrderEvent;
  reason: string | null;
  restock: boolean;
  /**
   * What the gateway says was paid (payment_succeeded from a gateway that
   * states it): a payment below the order's total, or in another currency,
   * does not pay the order (the state machine's paymentCovers).
   */
  payment?: Payment;
  /**
   * The gateway's id of the payment the event is about (paid or refunded).
   * The state machine says when the order keeps it, so that later events
   * naming only it find the order, and tells a redelivery of the payment
   * from a second one.
   */
  paymentId?: string;
  /**
   * An order_refunded that holds only if these units (per SKU; null: lines
   * without one) cover every line of the order: a gateway refund that names
   * the lines it refunds (Shopify) refunds the order only when it is one of
   * everything (the state machine's refundCoversOrder).
   */
  onlyIfRefunding?: { sku: string | null; quantity: number }[];
  /**
   * An order_refunded that holds only if this amount refunds the order's
   * total, in its currency (the state machine's paymentCovers). A Stripe
   * Refund names its own amount but not the charge's; the order's total is
   * what a payment had to reach to pay it (amount_mismatch otherwise), so a
   * refund of at least the total gives back all the order's money.
   */
  onlyIfRefundingAmount?: Payment;
  /**
   * order_fulfilled of some units only (a parcel): these units shipped; the
   * order is partially_fulfilled until every unit has. `id`: the gateway's
   * id of the parcel (a Shopify fulfillment id), so a parcel told twice (its
   * own webhook, then inside the order's snapshot) ships once; absent: the
   * delivery is the parcel. Without `parcel`, every unshipped unit ships.
   */
  parcel?: { id?: string; lines: { sku: string; quantity: number }[] };
}

/** An amount in the currency's major units, as an exact decimal string ("10.5", "1000"). */
export interface Payment {
  amount: string;
  currency: string;
}

/** Units of an order that come back (a partial refund with restock): per SKU, at most what the order still holds. */
export interface ReturnUnitsCommand {
  kind: 'return_units';
  orderId: string;
  lines: { sku: string; quantity: number }[];
  /**
   * Which units come back: true, units that shipped (back on hand: Shopify's
   * restock_type `return`); false, units that never shipped (released:
   * `cancel`). Absent: as the order's status says (reserved released,
   * shipped back on hand).
   */
  shipped?: boolean;
}

export type OrderCommand = CreateOrderCommand | LifecycleCommand | ReturnUnitsCommand | EditOrderCommand;

/**
 * Whether a delivery's commands only create an order: such deliveries go
 * together (group commit), and a run of them is one statement (create_orders).
 */
export function createsOrderOnly(commands: readonly OrderCommand[]): boolean {
  return commands.length === 1 && commands[0].kind === 'create_order';
}

/** The delivery behind a command: history rows and ledger rows name it. */
export interface CommandCause {
  /** The source it came from: the orders it creates are this source's. */
  source: string;
  /**
   * The sources whose orders its commands reach: its own, or for a payment
   * provider those it pays for (WEBHOOK_<NAME>_ORDERS_FROM). An order id is
   * looked up among these alone; found in several, it is ambiguous.
   */
  orderSources: readonly string[];
  /** The webhook_events record of the delivery. */
  webhookEventId: string;
}

/** What became of a command; `status` is the order's after it (when the order exists). */
export interface OrderOutcome {
  result: 'applied' | 'deferred' | 'ignored';
  reason: string | null;
  status?: OrderStatus;
}

/**
 * Deferred deliveries of one order are tried lowest rank first, whatever order
 * they arrived in (the lifecycle order of the state machine, by a delivery's
 * first command). A creation is never deferred: it is what the others wait for.
 */
export function deferralRank(commands: readonly OrderCommand[]): number {
  const [first] = commands;
  if (!first) return Number.MAX_SAFE_INTEGER;
  if (first.kind === 'create_order') return -1;
  // A new list of lines waits only for its order: right after the creation, before any payment.
  if (first.kind === 'edit_order') return -0.5;
  // Returned units wait for the order, and come after a payment would have.
  return first.kind === 'return_units' ? lifecycleRank('order_fulfilled') : lifecycleRank(first.event);
}

/**
 * What a delivery's commands came to, applied one after another (one native
 * delivery may be several: created, then paid). They stop at the first that
 * must wait: the delivery is deferred, and applied again from its start later
 * (what was applied then is ignored as already done). Otherwise it is applied
 * when any command was, else ignored for the first one's reason. The status
 * is where the order ended.
 */
export function outcomeOfSequence(outcomes: readonly OrderOutcome[]): OrderOutcome {
  const last = outcomes[outcomes.length - 1];
  const deferred = outcomes.find((o) => o.result === 'deferred');
  if (deferred) return { ...deferred, status: last.status };
  const applied = outcomes.find((o) => o.result === 'applied');
  return { ...(applied ?? outcomes[0]), status: last.status };
}
