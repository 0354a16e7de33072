import { describe, expect, it } from '@jest/globals';
import { AppError } from '../../src/common/app-error.js';
import type { DeliveryCommand } from '../../src/webhooks/providers/provider.js';
import { readStored } from '../../src/webhooks/providers/provider.js';
import { StripeProvider } from '../../src/webhooks/providers/stripe.provider.js';
import { type EditableEvent, stripeEvent, stripeFixture, type StripeFixture } from '../support/stripe-fixtures.js';

const provider = new StripeProvider();
const read = (body: Buffer) => readStored(provider, body, {});
const PI = 'pi_1PgafyB7WZ01zgkWSjxsAJo3';

/** The one field a refused body names. */
function refusedField(body: Buffer): string {
  try {
    read(body);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    expect(error.status).toBe(400);
    expect(error.errors).toHaveLength(1);
    return error.errors![0].field;
  }
  throw new Error('expected the body to be refused');
}

const paid = (orderId: string, amount: string, currency: string, paymentId?: string) => ({
  kind: 'lifecycle',
  orderId,
  event: 'payment_succeeded',
  reason: null,
  restock: false,
  payment: { amount, currency },
  ...(paymentId === undefined ? {} : { paymentId }),
});
const lifecycle = (event: string, orderId: string, reason: string | null = null) => ({ kind: 'lifecycle', orderId, event, reason, restock: false });
/** A Stripe Refund of `amount` (major units) of the payment `paymentId`: it refunds the order only if that is the order's total. */
const refundOf = (amount: string, currency: string, paymentId = PI) => ({ ...lifecycle('order_refunded', ''), paymentId, onlyIfRefundingAmount: { amount, currency } });

describe('the stripe provider on Stripe samples (test/fixtures/gateways/stripe/), as published', () => {
  it.each<[StripeFixture, DeliveryCommand]>([
    ['payment_intent.succeeded', { orderId: 'o-1', commands: [paid('o-1', '10.99', 'USD', PI)] as never }],
    ['payment_intent.payment_failed', { orderId: 'o-1', commands: [lifecycle('payment_failed', 'o-1')] as never }],
    ['checkout.session.completed', { orderId: 'o-1', commands: [paid('o-1', '30.00', 'USD', PI)] as never }],
    ['checkout.session.async_payment_succeeded', { orderId: 'o-1', commands: [paid('o-1', '30.00', 'EUR', PI)] as never }],
    ['checkout.session.async_payment_failed', { orderId: 'o-1', commands: [lifecycle('payment_failed', 'o-1')] as never }],
    ['charge.refunded', { orderId: 'o-1', commands: [lifecycle('order_refunded', 'o-1')] as never }],
    // a Refund and a Dispute name no order: the order is the one their payment intent paid
    ['refund.created', { orderId: null, byPayment: PI, commands: [refundOf('1.00', 'USD')] as never }],
    ['refund.updated', { orderId: null, byPayment: PI, commands: [refundOf('1.00', 'USD')] as never }],
    ['charge.dispute.created', { orderId: null, byPayment: PI, commands: [lifecycle('dispute_opened', '')] as never }],
    ['charge.dispute.closed', { orderId: null, byPayment: PI, commands: [lifecycle('dispute_lost', '')] as never }],
  ])('%s becomes %j', (type, expected) => {
    const eventId = `evt_fixture_${type.replaceAll('.', '_')}`;
    expect(read(stripeFixture(type))).toEqual({ eventId, eventType: type, ...expected });
    expect(provider.understands(type)).toBe(true);
  });
});

describe('the stripe provider, edited samples', () => {
  const edited = (type: StripeFixture, edit: (object: Record<string, unknown>, event: EditableEvent) => void) =>
    read(stripeEvent(type, (event) => edit(event.data.object, event)));

  it.each([
    ['USD', 1099, '10.99'],
    ['usd', 5, '0.05'],
    ['USD', 0, '0.00'],
    ['JPY', 1099, '1099'],
    ['jpy', 5, '5'],
    ['KWD', 5120, '5.120'],
    ['BHD', 7, '0.007'],
    ['EUR', 123456789012, '1234567890.12'],
  ])('pays %s %d minor units as %j', (currency, minor, amount) => {
    const delivery = edited('payment_intent.succeeded', (o) => {
      o.currency = currency;
      o.amount = minor;
      o.amount_received = minor;
    });
    expect(delivery.commands).toEqual([paid('o-1', amount, currency.toUpperCase(), PI)]);
  });

  it('pays what the intent received, not what it asked (amount_received), and falls back on amount when it is absent', () => {
    expect(edited('payment_intent.succeeded', (o) => (o.amount_received = 500)).commands).toEqual([paid('o-1', '5.00', 'USD', PI)]);
    expect(edited('payment_intent.succeeded', (o) => (o.amount_received = null)).commands).toEqual([paid('o-1', '10.99', 'USD', PI)]);
    expect(edited('payment_intent.succeeded', (o) => delete o.amount_received).commands).toEqual([paid('o-1', '10.99', 'USD', PI)]);
  });

  it('a failed payment says why, from last_payment_error (code and message)', () => {
    const delivery = edited('payment_intent.payment_failed', (o) => {
      o.last_payment_error = { type: 'card_error', code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' };
    });
    expect(delivery.commands).toEqual([lifecycle('payment_failed', 'o-1', 'card_declined: Your card was declined.')]);
    expect(edited('payment_intent.payment_failed', (o) => (o.last_payment_error = { message: 'Declined' })).commands).toEqual([
      lifecycle('payment_failed', 'o-1', 'Declined'),
    ]);
  });

  it.each(['unpaid', 'no_payment_required'])('a completed Checkout Session with payment_status %s is ignored (payment_not_completed)', (status) => {
    expect(edited('checkout.session.completed', (o) => (o.payment_status = status))).toMatchObject({
      orderId: 'o-1',
      commands: [],
      ignoredReason: 'payment_not_completed',
    });
  });

  it('a Checkout Session names its order by client_reference_id when metadata has none; metadata comes first', () => {
    const byReference = edited('checkout.session.completed', (o) => {
      o.metadata = {};
      o.client_reference_id = 'o-ref';
    });
    expect(byReference).toMatchObject({ orderId: 'o-ref', commands: [paid('o-ref', '30.00', 'USD', PI)] });
    expect(edited('checkout.session.completed', (o) => (o.client_reference_id = 'o-ref')).orderId).toBe('o-1');
    // a payment intent's client_reference_id is not Stripe's: it does not name an order there
    expect(edited('payment_intent.succeeded', (o) => ((o.metadata = {}), (o.client_reference_id = 'o-ref')))).toMatchObject({ orderId: null, byPayment: PI });
  });

  it("reads a session's payment intent expanded into an object", () => {
    const delivery = edited('checkout.session.completed', (o) => (o.payment_intent = { id: 'pi_expanded', object: 'payment_intent' }));
    expect(delivery.commands).toEqual([paid('o-1', '30.00', 'USD', 'pi_expanded')]);
  });

  it.each<[string, StripeFixture, (o: Record<string, unknown>) => void, string]>([
    ['a payment intent', 'payment_intent.succeeded', (o) => (o.metadata = {}), PI],
    ['a failed payment intent', 'payment_intent.payment_failed', (o) => (o.metadata = {}), PI],
    ['a Checkout Session', 'checkout.session.completed', (o) => (o.metadata = null), PI],
    ['a charge', 'charge.refunded', (o) => ((o.metadata = {}), (o.payment_intent = 'pi_charged')), 'pi_charged'],
    ['a charge with its intent expanded', 'charge.refunded', (o) => ((o.metadata = {}), (o.payment_intent = { id: 'pi_x' })), 'pi_x'],
  ])('%s without an order id names the order by its payment intent', (_what, type, edit, paymentId) => {
    const delivery = edited(type, edit);
    expect(delivery).toMatchObject({ orderId: null, byPayment: paymentId });
    expect(delivery.commands).toHaveLength(1);
    expect(delivery.commands[0].orderId).toBe('');
  });

  it.each<[string, StripeFixture, (o: Record<string, unknown>) => void]>([
    ['a charge with no metadata and no payment intent', 'charge.refunded', (o) => (o.metadata = {})],
    ['a Checkout Session with no metadata, reference or payment intent', 'checkout.session.async_payment_succeeded', (o) => ((o.metadata = {}), (o.payment_intent = null))],
  ])('%s names no order: ignored', (_what, type, edit) => {
    expect(edited(type, edit)).toMatchObject({ orderId: null, commands: [], ignoredReason: 'no_order' });
    expect(edited(type, edit).byPayment).toBeUndefined();
  });

  it('a partial refund is ignored (partial_refund); a full one, whatever the amount, refunds', () => {
    expect(edited('charge.refunded', (o) => (o.amount_refunded = 40))).toMatchObject({ orderId: 'o-1', commands: [], ignoredReason: 'partial_refund' });
    expect(edited('charge.refunded', (o) => ((o.amount = 250000), (o.amount_refunded = 250000))).commands).toEqual([lifecycle('order_refunded', 'o-1')]);
    // the payment it refunds is named, so that a refund of another payment than the order's does not refund it
    expect(edited('charge.refunded', (o) => (o.payment_intent = 'pi_charged')).commands).toEqual([{ ...lifecycle('order_refunded', 'o-1'), paymentId: 'pi_charged' }]);
  });

  it.each(['refund.created', 'refund.updated'] as const)('%s: a succeeded Refund refunds the order if its amount is the whole total (the domain compares it in major units)', (type) => {
    const delivery = edited(type, (o) => ((o.amount = 1099), (o.currency = 'jpy')));
    expect(delivery.commands).toEqual([refundOf('1099', 'JPY')]);
    // a Refund naming its order in its metadata goes to that order
    expect(edited(type, (o) => (o.metadata = { order_id: 'o-7' }))).toMatchObject({ orderId: 'o-7', commands: [{ ...refundOf('1.00', 'USD'), orderId: 'o-7' }] });
  });

  it.each(['pending', 'requires_action', 'failed', 'canceled'])('a Refund with status %s is ignored, naming the status', (status) => {
    for (const type of ['refund.created', 'refund.updated'] as const) {
      expect(edited(type, (o) => (o.status = status))).toMatchObject({ orderId: null, commands: [], ignoredReason: `refund_not_succeeded: ${status}` });
    }
  });

  it.each(['won', 'warning_closed'])('a dispute closed %s is ignored, naming the status; only a lost one flags', (status) => {
    expect(edited('charge.dispute.closed', (o) => (o.status = status))).toMatchObject({ orderId: null, commands: [], ignoredReason: `dispute_not_lost: ${status}` });
  });

  it('a dispute opens whatever its status says (needs_response, under_review, ...): Stripe sends created once', () => {
    expect(edited('charge.dispute.created', (o) => (o.status = 'needs_response')).commands).toEqual([lifecycle('dispute_opened', '')]);
  });

  it('keeps 64-bit order ids and long ids digit for digit, as strings', () => {
    expect(edited('payment_intent.succeeded', (o) => (o.metadata = { order_id: '820982911946154508' })).orderId).toBe('820982911946154508');
    // a bare JSON number beyond 2^53 (not what Stripe sends in metadata, but never rounded)
    const body = Buffer.from(stripeFixture('payment_intent.succeeded').toString().replace('"order_id": "o-1"', '"order_id": 9007199254740993'));
    expect(read(body).orderId).toBe('9007199254740993');
    const idBody = Buffer.from(stripeFixture('charge.refunded').toString().replace('"id": "evt_fixture_charge_refunded"', '"id": 18446744073709551615'));
    expect(read(idBody).eventId).toBe('18446744073709551615');
  });

  it.each(['customer.created', 'payment_intent.created', 'charge.refund.updated', 'checkout.session.expired', 'invoice.paid'])(
    'an event type it does not map (%s) is ignored (unknown_event_type), whatever its object',
    (type) => {
      const delivery = edited('payment_intent.succeeded', (o, event) => {
        event.type = type;
        o.amount_received = 'whatever';
      });
      expect(delivery).toEqual({ eventId: 'evt_fixture_payment_intent_succeeded', eventType: type, orderId: null, commands: [], ignoredReason: 'unknown_event_type' });
      expect(provider.understands(type)).toBe(false);
    },
  );
});

describe('the stripe provider refuses malformed bodies, naming the field', () => {
  const edited = (type: StripeFixture, edit: (event: EditableEvent) => void) => stripeEvent(type, edit);

  it.each<[string, string, Buffer]>([
    ['not JSON', 'body', Buffer.from('{"id": "evt_1",')],
    ['an array', 'body', Buffer.from('[]')],
    ['no id', 'id', edited('payment_intent.succeeded', (e) => delete (e as Partial<EditableEvent>).id)],
    ['an empty id', 'id', edited('payment_intent.succeeded', (e) => (e.id = ''))],
    ['no type', 'type', edited('payment_intent.succeeded', (e) => delete (e as Partial<EditableEvent>).type)],
    ['a type that is a number', 'type', edited('payment_intent.succeeded', (e) => ((e as Record<string, unknown>).type = 7))],
    ['no data', 'data.object', edited('payment_intent.succeeded', (e) => delete (e as Partial<EditableEvent>).data)],
    ['data.object an array', 'data.object', edited('payment_intent.succeeded', (e) => ((e.data as Record<string, unknown>).object = []))],
    ['data.object a string', 'data.object', edited('charge.refunded', (e) => ((e.data as Record<string, unknown>).object = 'ch_1'))],
    ['amount_received in a string', 'data.object.amount_received', edited('payment_intent.succeeded', (e) => (e.data.object.amount_received = '1099'))],
    ['amount_received with decimals', 'data.object.amount_received', edited('payment_intent.succeeded', (e) => (e.data.object.amount_received = 10.99))],
    ['a negative amount', 'data.object.amount_received', edited('payment_intent.succeeded', (e) => (e.data.object.amount_received = -1))],
    ['an amount above 10^12 in major units', 'data.object.amount_received', edited('payment_intent.succeeded', (e) => (e.data.object.amount_received = 100_000_000_000_001))],
    ['a NUL in the event id', 'id', edited('payment_intent.succeeded', (e) => (e.id = 'evt_\u0000'))],
    ['an event id written 1e400', 'id', Buffer.from(stripeFixture('payment_intent.succeeded').toString().replace(/"id": "evt_[^"]*"/, '"id": 1e400'))],
    ['no amount at all', 'data.object.amount', edited('payment_intent.succeeded', (e) => ((e.data.object.amount_received = null), delete e.data.object.amount))],
    ['a session without amount_total', 'data.object.amount_total', edited('checkout.session.completed', (e) => (e.data.object.amount_total = null))],
    ['a charge amount_refunded in a string', 'data.object.amount_refunded', edited('charge.refunded', (e) => (e.data.object.amount_refunded = '100'))],
    ['a charge without amount', 'data.object.amount', edited('charge.refunded', (e) => delete e.data.object.amount)],
    ['no currency', 'data.object.currency', edited('payment_intent.succeeded', (e) => (e.data.object.currency = null))],
    ['a currency that is not a code', 'data.object.currency', edited('checkout.session.completed', (e) => (e.data.object.currency = 'dollars'))],
    ['an intent without id', 'data.object.id', edited('payment_intent.succeeded', (e) => delete e.data.object.id)],
    ['metadata an array', 'data.object.metadata', edited('payment_intent.succeeded', (e) => (e.data.object.metadata = ['o-1']))],
    ['metadata.order_id an object', 'data.object.metadata.order_id', edited('charge.refunded', (e) => (e.data.object.metadata = { order_id: { id: 1 } }))],
    ['client_reference_id a boolean', 'data.object.client_reference_id', edited('checkout.session.completed', (e) => ((e.data.object.metadata = {}), (e.data.object.client_reference_id = true)))],
    ['an expanded payment intent without id', 'data.object.payment_intent.id', edited('charge.refunded', (e) => (e.data.object.payment_intent = { object: 'payment_intent' }))],
    ['a Refund without status', 'data.object.status', edited('refund.created', (e) => delete e.data.object.status)],
    ['a Refund amount in a string', 'data.object.amount', edited('refund.updated', (e) => (e.data.object.amount = '100'))],
    ['a Refund without currency', 'data.object.currency', edited('refund.created', (e) => (e.data.object.currency = null))],
    ['a closed dispute without status', 'data.object.status', edited('charge.dispute.closed', (e) => (e.data.object.status = null))],
    ['a dispute whose payment intent holds a lone surrogate', 'data.object.payment_intent', edited('charge.dispute.created', (e) => (e.data.object.payment_intent = 'pi_\udc00'))],
  ])('%s: 400 naming %s', (_what, field, body) => {
    expect(refusedField(body)).toBe(field);
  });
});
