import type { IncomingHttpHeaders } from 'node:http';
import type { OrderCommand } from '../../orders/order-commands.js';

/** A verified delivery read: what the event log records of it, and what the domain is asked to do. */
export interface ReadDelivery {
  /** The dedupe key on its source. */
  eventId: string;
  /** The event type as the gateway names it. */
  eventType: string;
  /** The order it concerns, when it names one: its events are serialised and deferred by it. */
  orderId: string | null;
  /** What the domain is asked to do; null when the delivery asks nothing of it (then `ignoredReason`). */
  command: OrderCommand | null;
  ignoredReason?: string;
}

/**
 * What a source speaks: how a gateway's native bytes become a domain
 * command. `read` throws a 400 AppError naming what is wrong. It is called
 * again on stored bodies (deferred events, replays), with the headers kept.
 */
export interface Provider {
  readonly name: string;
  read(rawBody: Buffer, headers: IncomingHttpHeaders): ReadDelivery;
}
