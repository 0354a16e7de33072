import type { IncomingHttpHeaders } from 'node:http';
import type { OrderCommand } from '../../orders/order-commands.js';

/** A delivery named: its dedupe key and type, and the payload its command is read from. */
export interface IdentifiedDelivery {
  /** The dedupe key on its source. */
  eventId: string;
  /** The event type as the gateway names it. */
  eventType: string;
  payload: unknown;
}

/** What a delivery asks of the domain. */
export interface DeliveryCommand {
  /** The order it concerns, when it names one: its events are serialised and deferred by it. */
  orderId: string | null;
  /**
   * What the domain is asked to do, in lifecycle order (one native delivery
   * may be several: created, then paid), applied in one transaction; empty
   * when the delivery asks nothing of it (then `ignoredReason`).
   */
  commands: OrderCommand[];
  ignoredReason?: string;
  /**
   * When the delivery names no order but a payment (a Stripe refund of a
   * charge): the order that payment paid is the one. Then `orderId` is null
   * and the commands' orderId empty until the apply stage finds the order
   * (`withOrder`), before the delivery is claimed.
   */
  byPayment?: string;
}

/** A verified delivery read: what the event log records of it, and what the domain is asked to do. */
export type ReadDelivery = Omit<IdentifiedDelivery, 'payload'> & DeliveryCommand;

/**
 * What a source speaks: how a gateway's native bytes become a domain
 * command, in two steps, each throwing a 400 AppError naming what is wrong:
 * `identify` names the delivery, `commandOf` reads what it asks. They run
 * again on stored bodies (deferred events, replays), with the headers kept.
 */
export interface Provider {
  readonly name: string;
  /**
   * Where its ids are not signed, identical bytes are one event: under any
   * event type a header names (a captured body resent under another topic
   * cannot become a new event), or, when true, only under the same type. True
   * only for a gateway whose types are harmless on each other's bytes and
   * which may send two types with identical bytes (WooCommerce builds an
   * order's created and updated from the order at delivery time).
   */
  readonly bytesPerType?: boolean;
  identify(rawBody: Buffer, headers: IncomingHttpHeaders): IdentifiedDelivery;
  commandOf(delivery: IdentifiedDelivery): DeliveryCommand;
  /** Whether it maps this event type onto the domain (metrics name only the types it knows). */
  understands(eventType: string): boolean;
  /**
   * Whether this delivery, which carries no valid signature, is one the
   * gateway sends unsigned by design and expects a 200 for (WooCommerce's
   * ping when a webhook is saved). Asked before the signature is checked;
   * such a delivery is answered `{"status":"ignored","reason":"ping"}` and
   * neither stored nor applied. Absent: every delivery must be signed.
   */
  acknowledgesUnverified?(rawBody: Buffer, headers: IncomingHttpHeaders): boolean;
}

/** The delivery with the order its payment named, or asking nothing (`reason`) when no order has that payment. */
export function withOrder(read: ReadDelivery, orderId: string | undefined, reason: string): ReadDelivery {
  const { byPayment: _found, ...rest } = read;
  if (orderId === undefined) return { ...rest, orderId: null, commands: [], ignoredReason: reason };
  return { ...rest, orderId, commands: read.commands.map((command) => ({ ...command, orderId })) };
}

/** The second step on a named delivery: the delivery as the event log and the domain see it. */
export function readDelivery(provider: Provider, identified: IdentifiedDelivery): ReadDelivery {
  return { eventId: identified.eventId, eventType: identified.eventType, ...provider.commandOf(identified) };
}

/** Both steps, for bytes read before (a deferred or replayed delivery, with the headers kept). */
export function readStored(provider: Provider, rawBody: Buffer, headers: IncomingHttpHeaders): ReadDelivery {
  return readDelivery(provider, provider.identify(rawBody, headers));
}
