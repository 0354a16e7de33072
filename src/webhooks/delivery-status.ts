import type { OrderOutcome } from '../orders/order-commands.js';

/**
 * The status of a delivery in the event log (webhook_events.status, the
 * database's enum delivery_status), and the rules about it, in one place.
 */
export const DELIVERY_STATUSES = ['processed', 'ignored', 'deferred', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** A delivery applied, or set aside for good: its processed_at is set. A deferred one is neither yet. */
export function isSettled(status: DeliveryStatus): boolean {
  return status === 'processed' || status === 'ignored';
}

/** What an operator may apply again (POST /webhook-events/:id/replay). */
export function isReplayable(status: DeliveryStatus): boolean {
  return status === 'failed' || status === 'ignored';
}

/**
 * A claim records a new delivery (or takes up a failed one) provisionally
 * as `processed`, the common outcome, so that it needs no second write;
 * any other outcome is recorded in the same transaction.
 */
export const CLAIMED_AS: DeliveryStatus = 'processed';

/** The delivery status the domain's outcome of its command gives. */
export function deliveryStatusOf(outcome: Pick<OrderOutcome, 'result'>): DeliveryStatus {
  switch (outcome.result) {
    case 'applied':
      return 'processed';
    case 'deferred':
      return 'deferred';
    case 'ignored':
      return 'ignored';
  }
}

/** Whether recording `status` and `reason` over a fresh claim needs a write. */
export function differsFromClaim(status: DeliveryStatus, reason: string | null): boolean {
  return status !== CLAIMED_AS || reason !== null;
}
