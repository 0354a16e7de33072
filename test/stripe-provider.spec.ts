import { beforeEach, describe, expect, it } from '@jest/globals';
import Stripe from 'stripe';
import { count, ledgerMismatches, resetDatabase, seedStock, stockOf } from './support/database.js';
import { type EditableEvent, stripeEvent, type StripeFixture } from './support/stripe-fixtures.js';
import { admin, type Answer, deliver, useTestApp } from './support/test-app.js';

/**
 * /webhooks/stripe speaks Stripe (WEBHOOK_STRIPE_PROVIDER=stripe): Stripe's
 * own sample events (test/fixtures/gateways/stripe/), edited only to name each
 * test's order and event, signed by Stripe's SDK, pay, fail and refund orders
 * that the storefront created through the envelope source (POST /webhooks).
 */
const STRIPE_SECRET = 'whsec_e2e_stripe_endpoint_secret';
const stripe = new Stripe('sk_test_x');
const PI = 'pi_1PgafyB7WZ01zgkWSjxsAJo3';

let sequence = 0;

describe('the stripe provider, end to end', () => {
  const t = useTestApp({ WEBHOOK_STRIPE_PROVIDER: 'stripe', WEBHOOK_STRIPE_SECRET: STRIPE_SECRET });
  beforeEach(async () => {
    await resetDatabase(t.db);
    await seedStock(t.db, { A: 10 });
  });

  /** An order through the envelope source, reserving 2 of A. */
  const order = (orderId: string, totalAmount: number, currency = 'USD') =>
    deliver(
      t.url,
      JSON.stringify({
        id: `new-${orderId}`,
        event: 'new_order',
        data: { order_id: orderId, customer_name: 'Test Customer', total_amount: totalAmount, currency, items: [{ sku: 'A', quantity: 2 }] },
      }),
    );

  /** A Stripe sample with a fresh event id, naming `orderId` in its metadata (none when null), edited further by `edit`. */
  const event = (type: StripeFixture, orderId: string | null, edit: (object: Record<string, unknown>, event: EditableEvent) => void = () => {}) =>
    stripeEvent(type, (e) => {
      sequence += 1;
      e.id = `evt_e2e_${sequence}`;
      e.data.object.metadata = orderId === null ? {} : { order_id: orderId };
      edit(e.data.object, e);
    });

  /** POSTs the bytes to /webhooks/stripe as Stripe does, signed by Stripe's SDK. */
  const send = (body: Buffer, secret = STRIPE_SECRET): Promise<Answer> =>
    deliver(t.url, body, {
      path: '/webhooks/stripe',
      signature: null,
      headers: { 'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload: body.toString('utf8'), secret }) },
    });

  const orderOf = async (orderId: string) => (await admin(t.url, 'GET', `/orders/${orderId}`)).body;
  const logged = (eventId: string) =>
    t.db.query<{ event_type: string; order_id: string | null; status: string; reason: string | null }[]>(
      `SELECT event_type, order_id, status::text, reason FROM webhook_events WHERE source = 'stripe' AND event_id = $1`,
      [eventId],
    );
  const idOf = (body: Buffer) => (JSON.parse(body.toString()) as { id: string }).id;

  it('payment_intent.succeeded pays the order named by metadata.order_id and keeps the payment intent id', async () => {
    await order('o-pi', 10.99);
    const body = event('payment_intent.succeeded', 'o-pi');
    const res = await send(body);
    expect(res).toMatchObject({ status: 200, body: { event_id: idOf(body), status: 'processed', order_status: 'paid' } });
    expect(await orderOf('o-pi')).toMatchObject({ status: 'paid', payment_id: PI, needs_attention: false });
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 10, reserved: 2 });
    // the event log keeps Stripe's own type, and the order it concerned
    expect(await logged(idOf(body))).toEqual([{ event_type: 'payment_intent.succeeded', order_id: 'o-pi', status: 'processed', reason: null }]);
  });

  it('checkout.session.completed pays when payment_status is paid, and is ignored while unpaid', async () => {
    await order('o-cs', 30);
    await order('o-cs-unpaid', 30);
    const unpaid = await send(event('checkout.session.completed', 'o-cs-unpaid', (o) => (o.payment_status = 'unpaid')));
    expect(unpaid).toMatchObject({ status: 200, body: { status: 'ignored', reason: 'payment_not_completed' } });
    expect(await orderOf('o-cs-unpaid')).toMatchObject({ status: 'pending', payment_id: null });

    const paid = await send(event('checkout.session.completed', 'o-cs'));
    expect(paid).toMatchObject({ status: 200, body: { status: 'processed', order_status: 'paid' } });
    expect(await orderOf('o-cs')).toMatchObject({ status: 'paid', payment_id: PI });
  });

  it('a Checkout Session names its order by client_reference_id too', async () => {
    await order('o-ref', 30);
    const res = await send(event('checkout.session.completed', null, (o) => (o.client_reference_id = 'o-ref')));
    expect(res.body).toMatchObject({ status: 'processed', order_status: 'paid' });
  });

  it('checkout.session.async_payment_succeeded pays; async_payment_failed fails the payment and keeps the reservation', async () => {
    await order('o-async-ok', 30, 'EUR');
    await order('o-async-ko', 30, 'EUR');
    expect((await send(event('checkout.session.async_payment_succeeded', 'o-async-ok'))).body).toMatchObject({ status: 'processed', order_status: 'paid' });
    expect((await send(event('checkout.session.async_payment_failed', 'o-async-ko'))).body).toMatchObject({ status: 'processed', order_status: 'payment_failed' });
    expect(await orderOf('o-async-ok')).toMatchObject({ status: 'paid', payment_id: PI });
    expect(await orderOf('o-async-ko')).toMatchObject({ status: 'payment_failed' });
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 10, reserved: 4 });
  });

  it("a failure message with a NUL and a lone surrogate is kept cleaned (it only informs): the payment still fails", async () => {
    await order('o-fail', 10.99);
    const failed = event('payment_intent.payment_failed', 'o-fail', (o) => {
      o.last_payment_error = { type: 'card_error', code: 'card_declined', message: 'Your card\u0000 was declined.\ud800' };
    });
    expect(await send(failed)).toMatchObject({ status: 200, body: { status: 'processed', order_status: 'payment_failed' } });
    const view = await orderOf('o-fail');
    expect(view.history).toContainEqual(expect.objectContaining({ to_status: 'payment_failed', reason: 'card_declined: Your card  was declined.\ufffd' }));
  });

  it('payment_intent.payment_failed fails the payment, with the reason Stripe gives; a later success pays', async () => {
    await order('o-fail', 10.99);
    const failed = event('payment_intent.payment_failed', 'o-fail', (o) => {
      o.last_payment_error = { type: 'card_error', code: 'card_declined', message: 'Your card was declined.' };
    });
    expect((await send(failed)).body).toMatchObject({ status: 'processed', order_status: 'payment_failed' });
    const view = await orderOf('o-fail');
    expect(view.status).toBe('payment_failed');
    expect(view.history).toContainEqual(expect.objectContaining({ to_status: 'payment_failed', reason: 'card_declined: Your card was declined.' }));
    expect((await send(event('payment_intent.succeeded', 'o-fail'))).body).toMatchObject({ status: 'processed', order_status: 'paid' });
  });

  it('a full charge.refunded refunds the order named by metadata and releases its reservation', async () => {
    await order('o-refund', 10.99);
    await send(event('payment_intent.succeeded', 'o-refund'));
    const res = await send(event('charge.refunded', 'o-refund'));
    expect(res.body).toMatchObject({ status: 'processed', order_status: 'refunded' });
    expect(await orderOf('o-refund')).toMatchObject({ status: 'refunded' });
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 10, reserved: 0 });
  });

  it('a full charge.refunded without metadata refunds the order its payment intent paid', async () => {
    await order('o-by-pi', 10.99);
    await order('o-other', 10.99);
    await send(event('payment_intent.succeeded', 'o-other', (o) => (o.id = 'pi_other_intent')));
    await send(event('payment_intent.succeeded', 'o-by-pi', (o) => (o.id = 'pi_e2e_by_payment')));
    const refund = event('charge.refunded', null, (o) => (o.payment_intent = 'pi_e2e_by_payment'));
    expect((await send(refund)).body).toMatchObject({ status: 'processed', order_status: 'refunded' });
    expect(await orderOf('o-by-pi')).toMatchObject({ status: 'refunded', payment_id: 'pi_e2e_by_payment' });
    expect(await orderOf('o-other')).toMatchObject({ status: 'paid' });
    expect(await logged(idOf(refund))).toEqual([{ event_type: 'charge.refunded', order_id: 'o-by-pi', status: 'processed', reason: null }]);
  });

  it('a partial refund is ignored and the order stays paid', async () => {
    await order('o-partial', 10.99);
    await send(event('payment_intent.succeeded', 'o-partial'));
    const res = await send(event('charge.refunded', 'o-partial', (o) => ((o.amount = 1099), (o.amount_refunded = 500), (o.refunded = false))));
    expect(res).toMatchObject({ status: 200, body: { status: 'ignored', reason: 'partial_refund' } });
    expect(await orderOf('o-partial')).toMatchObject({ status: 'paid' });
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 10, reserved: 2 });
  });

  it.each<[string, (o: Record<string, unknown>) => void]>([
    ['an underpayment (10.98 of 10.99)', (o) => (o.amount_received = 1098)],
    ['the amount in another currency', (o) => (o.currency = 'eur')],
  ])('%s does not pay: 200 ignored amount_mismatch, order pending and flagged', async (_what, edit) => {
    await order('o-short', 10.99);
    const res = await send(event('payment_intent.succeeded', 'o-short', edit));
    expect(res).toMatchObject({ status: 200, body: { status: 'ignored', reason: 'amount_mismatch' } });
    expect(await orderOf('o-short')).toMatchObject({ status: 'pending', needs_attention: true });
  });

  it.each([
    ['JPY', 1099, 1099],
    ['KWD', 5.12, 5120],
  ])('pays a %s order exactly (total %d, %d minor units), and not one minor unit less', async (currency, total, minor) => {
    await order('o-exact', total, currency);
    await order('o-less', total, currency);
    const pay = (orderId: string, amount: number) =>
      send(event('payment_intent.succeeded', orderId, (o) => ((o.currency = currency.toLowerCase()), (o.amount = amount), (o.amount_received = amount))));
    expect((await pay('o-less', minor - 1)).body).toMatchObject({ status: 'ignored', reason: 'amount_mismatch' });
    expect((await pay('o-exact', minor)).body).toMatchObject({ status: 'processed', order_status: 'paid' });
    expect(await orderOf('o-exact')).toMatchObject({ status: 'paid', needs_attention: false });
    expect(await orderOf('o-less')).toMatchObject({ status: 'pending', needs_attention: true });
  });

  it('the same event id delivered twice is a duplicate the second time, and changes nothing', async () => {
    await order('o-dup', 10.99);
    const body = event('payment_intent.succeeded', 'o-dup');
    expect((await send(body)).body).toMatchObject({ status: 'processed' });
    expect(await send(body)).toMatchObject({ status: 200, body: { event_id: idOf(body), status: 'duplicate' } });
    // Stripe retries with a new signature (a new t) over the same bytes: still the same event
    expect((await send(body)).body).toMatchObject({ status: 'duplicate' });
    expect(await count(t.db, 'webhook_events', `source = 'stripe'`)).toBe(1);
    expect((await orderOf('o-dup')).history).toHaveLength(2);
  });

  it('an unknown event type is recorded and ignored', async () => {
    await order('o-unknown', 10.99);
    const body = event('payment_intent.succeeded', 'o-unknown', (_o, e) => (e.type = 'payment_intent.created'));
    expect(await send(body)).toMatchObject({ status: 200, body: { status: 'ignored', reason: 'unknown_event_type' } });
    expect(await logged(idOf(body))).toEqual([{ event_type: 'payment_intent.created', order_id: null, status: 'ignored', reason: 'unknown_event_type' }]);
    expect(await orderOf('o-unknown')).toMatchObject({ status: 'pending' });
  });

  it('an event that names neither an order nor a payment is ignored', async () => {
    const res = await send(event('charge.refunded', null));
    expect(res).toMatchObject({ status: 200, body: { status: 'ignored', reason: 'no_order' } });
  });

  it('a payment before its order exists is deferred, and applied when the order arrives', async () => {
    const body = event('payment_intent.succeeded', 'o-late');
    expect(await send(body)).toMatchObject({ status: 200, body: { status: 'deferred' } });
    expect((await order('o-late', 10.99)).body).toMatchObject({ status: 'processed', order_status: 'paid' });
    expect(await orderOf('o-late')).toMatchObject({ status: 'paid', payment_id: PI });
    expect(await logged(idOf(body))).toEqual([{ event_type: 'payment_intent.succeeded', order_id: 'o-late', status: 'processed', reason: null }]);
  });

  it('a charge.refunded naming only a payment no order has is ignored (no_order_for_payment)', async () => {
    await order('o-paid', 10.99);
    await send(event('payment_intent.succeeded', 'o-paid'));
    const res = await send(event('charge.refunded', null, (o) => (o.payment_intent = 'pi_nobody_paid_with')));
    expect(res).toMatchObject({ status: 200, body: { status: 'ignored', reason: 'no_order_for_payment' } });
    expect(await orderOf('o-paid')).toMatchObject({ status: 'paid' });
  });

  it('a refund ignored for want of its payment is applied when replayed after the order was paid with it', async () => {
    await order('o-replay', 10.99);
    const refund = event('charge.refunded', null, (o) => (o.payment_intent = 'pi_e2e_replayed'));
    expect((await send(refund)).body).toMatchObject({ status: 'ignored', reason: 'no_order_for_payment' });
    const [{ id }] = await t.db.query<{ id: string }[]>(`SELECT id::text FROM webhook_events WHERE event_id = $1`, [idOf(refund)]);
    await send(event('payment_intent.succeeded', 'o-replay', (o) => (o.id = 'pi_e2e_replayed')));

    const replayed = await admin(t.url, 'POST', `/webhook-events/${id}/replay`);
    expect(replayed.body).toMatchObject({ status: 'processed', event_type: 'charge.refunded', attempts: 2, order_id: 'o-replay', provider: 'stripe' });
    expect(await orderOf('o-replay')).toMatchObject({ status: 'refunded' });
  });

  describe('payments told twice, refunds told several ways, disputes', () => {
    /** The reasons orders were flagged with, in order: the attention items the state machine's decisions raised. */
    const flags = async () =>
      (await t.db.query<{ order_id: string; reason: string }[]>(`SELECT order_id, reason FROM order_attention ORDER BY id`)).map((r) => [r.order_id, r.reason]);

    const historyOf = async (orderId: string) => ((await orderOf(orderId)).history as { to_status: string }[]).map((h) => h.to_status);
    const pay = (orderId: string, intentId = PI) => send(event('payment_intent.succeeded', orderId, (o) => (o.id = intentId)));

    it('a second payment_intent.succeeded with another intent for a paid order is a double charge: ignored, flagged, stock unchanged', async () => {
      await order('o-twice', 10.99);
      expect((await pay('o-twice')).body).toMatchObject({ status: 'processed', order_status: 'paid' });
      const res = await pay('o-twice', 'pi_e2e_second_charge');
      expect(res).toMatchObject({ status: 200, body: { status: 'ignored', reason: 'double_charge', order_status: 'paid' } });
      expect(await orderOf('o-twice')).toMatchObject({ status: 'paid', needs_attention: true, payment_id: PI });
      expect(await flags()).toEqual([['o-twice', 'double_charge']]);
      expect(await historyOf('o-twice')).toEqual(['pending', 'paid']);
      expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 10, reserved: 2 });

      // refunding the second charge, as the operator should, does not refund the order
      const refund = await send(event('charge.refunded', 'o-twice', (o) => (o.payment_intent = 'pi_e2e_second_charge')));
      expect(refund.body).toMatchObject({ status: 'ignored', reason: 'refund_of_another_payment', order_status: 'paid' });
      expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 10, reserved: 2 });
    });

    it('payment_intent.succeeded after the checkout.session.completed that paid with the same intent is already_applied, not flagged', async () => {
      await order('o-checkout', 10.99);
      expect((await send(event('checkout.session.completed', 'o-checkout'))).body).toMatchObject({ status: 'processed', order_status: 'paid' });
      const res = await pay('o-checkout');
      expect(res).toMatchObject({ status: 200, body: { status: 'ignored', reason: 'already_applied', order_status: 'paid' } });
      expect(await orderOf('o-checkout')).toMatchObject({ status: 'paid', needs_attention: false, payment_id: PI });
      expect(await flags()).toEqual([]);
      expect(await historyOf('o-checkout')).toEqual(['pending', 'paid']);
    });

    it('a paid order that keeps no payment id keeps the first one a payment names, which later events find it by', async () => {
      await order('o-paid-elsewhere', 10.99);
      await deliver(t.url, JSON.stringify({ id: 'paid-o-paid-elsewhere', event: 'payment_succeeded', data: { order_id: 'o-paid-elsewhere' } }));
      expect(await orderOf('o-paid-elsewhere')).toMatchObject({ status: 'paid', payment_id: null });
      expect((await pay('o-paid-elsewhere')).body).toMatchObject({ status: 'ignored', reason: 'already_applied' });
      expect(await orderOf('o-paid-elsewhere')).toMatchObject({ status: 'paid', needs_attention: false, payment_id: PI });
      // a dispute names only the payment intent: it finds the order now
      expect((await send(event('charge.dispute.created', null))).body).toMatchObject({ status: 'processed', order_status: 'paid' });
      expect(await flags()).toEqual([['o-paid-elsewhere', 'dispute_opened']]);
    });

    it('a dispute opened then lost flags the order each time; its status, history and stock stay', async () => {
      await order('o-disputed', 10.99);
      await pay('o-disputed');
      const opened = event('charge.dispute.created', null);
      expect(await send(opened)).toMatchObject({ status: 200, body: { status: 'processed', order_status: 'paid' } });
      expect(await logged(idOf(opened))).toEqual([{ event_type: 'charge.dispute.created', order_id: 'o-disputed', status: 'processed', reason: null }]);
      expect(await orderOf('o-disputed')).toMatchObject({ status: 'paid', needs_attention: true });
      const won = await send(event('charge.dispute.closed', null, (o) => (o.status = 'won')));
      expect(won.body).toMatchObject({ status: 'ignored', reason: 'dispute_not_lost: won' });
      expect((await send(event('charge.dispute.closed', null))).body).toMatchObject({ status: 'processed', order_status: 'paid' });
      expect(await flags()).toEqual([
        ['o-disputed', 'dispute_opened'],
        ['o-disputed', 'dispute_lost'],
      ]);
      expect(await historyOf('o-disputed')).toEqual(['pending', 'paid']);
      expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 10, reserved: 2 });
      expect(await count(t.db, 'stock_movements', `order_id = 'o-disputed'`)).toBe(1);
    });

    it('refund.created then charge.refunded of one refund apply once: one history row, the stock released once, the second already_applied', async () => {
      await order('o-refund-once', 10.99);
      await pay('o-refund-once');
      const created = await send(event('refund.created', null, (o) => (o.amount = 1099)));
      expect(created.body).toMatchObject({ status: 'processed', order_status: 'refunded' });
      const charge = await send(event('charge.refunded', null, (o) => ((o.payment_intent = PI), (o.amount = 1099), (o.amount_captured = 1099), (o.amount_refunded = 1099))));
      expect(charge.body).toMatchObject({ status: 'ignored', reason: 'already_applied', order_status: 'refunded' });
      const updated = await send(event('refund.updated', null, (o) => (o.amount = 1099)));
      expect(updated.body).toMatchObject({ status: 'ignored', reason: 'already_applied', order_status: 'refunded' });
      expect(await historyOf('o-refund-once')).toEqual(['pending', 'paid', 'refunded']);
      expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 10, reserved: 0 });
      expect(await count(t.db, 'stock_movements', `order_id = 'o-refund-once' AND kind = 'release'`)).toBe(1);
      expect(await ledgerMismatches(t.db)).toEqual([]);
      expect(await flags()).toEqual([]);
    });

    it('refund.updated succeeded after refund.created pending refunds the order; the pending one is ignored, naming its status', async () => {
      await order('o-refund-later', 10.99);
      await pay('o-refund-later');
      const pending = await send(event('refund.created', null, (o) => ((o.amount = 1099), (o.status = 'pending'))));
      expect(pending.body).toMatchObject({ status: 'ignored', reason: 'refund_not_succeeded: pending' });
      expect(await orderOf('o-refund-later')).toMatchObject({ status: 'paid' });
      const succeeded = await send(event('refund.updated', null, (o) => (o.amount = 1099)));
      expect(succeeded.body).toMatchObject({ status: 'processed', order_status: 'refunded' });
      expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 10, reserved: 0 });
    });

    it("a Refund of less than the order's total is a partial refund: ignored, the order stays paid", async () => {
      await order('o-refund-part', 10.99);
      await pay('o-refund-part');
      const res = await send(event('refund.created', null, (o) => (o.amount = 1098)));
      expect(res.body).toMatchObject({ status: 'ignored', reason: 'partial_refund', order_status: 'paid' });
      expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 10, reserved: 2 });
    });
  });

  it.each<[string, string, Buffer]>([
    ['no event id', 'id', stripeEvent('payment_intent.succeeded', (e) => delete (e as Partial<EditableEvent>).id)],
    ['no type', 'type', stripeEvent('payment_intent.succeeded', (e) => delete (e as Partial<EditableEvent>).type)],
    ['data.object not an object', 'data.object', stripeEvent('payment_intent.succeeded', (e) => ((e.data as Record<string, unknown>).object = 'pi_1'))],
    ['an amount that is not an integer', 'data.object.amount_received', stripeEvent('payment_intent.succeeded', (e) => (e.data.object.amount_received = '10.99'))],
    ['a NUL in the event id', 'id', stripeEvent('payment_intent.succeeded', (e) => (e.id = 'evt_\u0000'))],
    ['a lone surrogate in metadata.order_id', 'data.object.metadata.order_id', stripeEvent('payment_intent.succeeded', (e) => (e.data.object.metadata = { order_id: 'o-1\ud800' }))],
    ['a NUL in client_reference_id', 'data.object.client_reference_id', stripeEvent('checkout.session.completed', (e) => ((e.data.object.metadata = {}), (e.data.object.client_reference_id = 'o-1\u0000')))],
    ['a lone surrogate in payment_intent', 'data.object.payment_intent', stripeEvent('charge.refunded', (e) => ((e.data.object.metadata = {}), (e.data.object.payment_intent = '\udc00')))],
  ])('a signed body with %s is refused with 400 naming %s, and nothing is stored', async (_what, field, body) => {
    await order('o-1', 10.99);
    const res = await send(body);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ field })]);
    expect(await count(t.db, 'webhook_events', `source = 'stripe'`)).toBe(0);
    expect(await orderOf('o-1')).toMatchObject({ status: 'pending', payment_id: null });
  });

  it('a delivery signed with another secret is refused with 401, and nothing is stored', async () => {
    await order('o-1', 10.99);
    const res = await send(event('payment_intent.succeeded', 'o-1'), 'whsec_not_this_endpoint');
    expect(res.status).toBe(401);
    expect(await count(t.db, 'webhook_events', `source = 'stripe'`)).toBe(0);
    expect(await orderOf('o-1')).toMatchObject({ status: 'pending' });
  });
});
