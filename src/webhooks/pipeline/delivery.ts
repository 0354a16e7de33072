import type { OrderStatus } from '../../orders/order-status.js';
import type { ReadDelivery } from '../providers/provider.js';
import type { IncomingEvent } from '../webhook-event.store.js';

/** A verified delivery, read: what the event log records, and what it asks of the domain. */
export interface PendingDelivery extends IncomingEvent {
  read: ReadDelivery;
}

/** The answer to a delivery (the contract's body of a 200). */
export interface DeliveryResult {
  event_id: string;
  status: 'processed' | 'duplicate' | 'ignored' | 'deferred';
  reason?: string;
  order_status?: OrderStatus;
}
