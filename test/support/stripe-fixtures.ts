import { readFileSync } from 'node:fs';
import { parse, stringify } from 'lossless-json';

/** The Stripe event types with a sample in test/fixtures/gateways/stripe/ (see the README there). */
export type StripeFixture =
  | 'payment_intent.succeeded'
  | 'payment_intent.payment_failed'
  | 'checkout.session.completed'
  | 'checkout.session.async_payment_succeeded'
  | 'checkout.session.async_payment_failed'
  | 'charge.refunded'
  | 'refund.created'
  | 'refund.updated'
  | 'charge.dispute.created'
  | 'charge.dispute.closed';

const DIR = new URL('../fixtures/gateways/stripe/', import.meta.url);

/** A sample's exact bytes. */
export function stripeFixture(type: StripeFixture): Buffer {
  return readFileSync(new URL(`${type}.json`, DIR));
}

/** The event as it is sent, with `data.object` at hand to edit. */
export interface EditableEvent {
  id: string;
  type: string;
  data: { object: Record<string, unknown> };
  [key: string]: unknown;
}

/**
 * A sample with the edits a test needs (its own event id, the order it
 * names, another amount), re-serialised by lossless-json so that every
 * number not edited keeps its digits.
 */
export function stripeEvent(type: StripeFixture, edit: (event: EditableEvent) => void): Buffer {
  const event = parse(stripeFixture(type).toString('utf8')) as EditableEvent;
  edit(event);
  return Buffer.from(stringify(event) ?? '', 'utf8');
}
