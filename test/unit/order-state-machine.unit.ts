import { describe, expect, it } from '@jest/globals';
import {
  ATTENTION_REASONS,
  decide,
  type DecidedEvent,
  type Decision,
  type DecisionFacts,
  DISPUTE_EVENTS,
  isLifecycleEvent,
  LIFECYCLE_EVENTS,
  lifecycleRank,
  ORDER_EDITED,
  type OrderStockEffect,
  TRANSITIONS,
  UNITS_RETURNED,
  unitsHeldIn,
} from '../../src/orders/order-state-machine.js';
import { ORDER_STATUSES, type OrderStatus } from '../../src/orders/order-status.js';

/** Every event decide() rules on. */
const EVENTS: DecidedEvent[] = [...LIFECYCLE_EVENTS, ...DISPUTE_EVENTS, UNITS_RETURNED, ORDER_EDITED];
const NO_FACTS: DecisionFacts = { restock: false };

/** Applied: `to` the status it moves to (null: it stays), the movement of its units, its flags, the payment id kept. */
const apply = (to: OrderStatus | null, movement: OrderStockEffect | null, flags: string[] = [], keepPaymentId: string | null = null) => ({
  kind: 'apply' as const,
  to,
  movement,
  flags,
  keepPaymentId,
});
/** Not yet: the reason names the statuses it waits for. */
const defer = (awaiting: string) => ({ kind: 'defer' as const, reason: `awaiting_status: ${awaiting}` });
const ignore = (reason: string, flags: string[] = [], keepPaymentId: string | null = null) => ({ kind: 'ignore' as const, reason, flags, keepPaymentId });
/** Never. */
const notAllowed = (status: OrderStatus, event: string) => ignore(`transition_not_allowed: ${event} on a ${status} order`);
/** A redelivery of what the order already shows. */
const already = (keepPaymentId: string | null = null) => ignore('already_applied', [], keepPaymentId);
const flagged = (reason: string) => ignore(reason, [reason]);
type Expected = ReturnType<typeof apply> | ReturnType<typeof defer> | ReturnType<typeof ignore>;

/** The decision as the tables write it: an applied one by where it goes (its transition's `from` and `on` are checked apart). */
function summary(status: OrderStatus, event: DecidedEvent, decision: Decision): Expected {
  if (decision.kind !== 'apply') return decision;
  const { transition, ...rest } = decision;
  if (transition) expect([transition.from, transition.on]).toEqual([status, event]);
  return { ...rest, to: transition?.to ?? null };
}

/**
 * The lifecycle of README's diagram, written out by hand for every status and
 * every event, with no fact beyond the event (no amount, no payment id, a
 * refund of the whole order, no restock): what the order does now, later, or never.
 */
const EXPECTED: [OrderStatus, DecidedEvent, Expected][] = [
  ['pending', 'payment_failed', apply('payment_failed', null)],
  ['pending', 'payment_succeeded', apply('paid', null)],
  ['pending', 'order_fulfilled', defer('paid or partially_fulfilled')],
  ['pending', 'order_refunded', defer('paid or partially_fulfilled or fulfilled')],
  ['pending', 'order_cancelled', apply('cancelled', 'release')],
  ['pending', 'dispute_opened', apply(null, null, ['dispute_opened'])],
  ['pending', 'dispute_lost', apply(null, null, ['dispute_lost'])],
  ['pending', 'units_returned', apply(null, 'release')],
  ['pending', 'order_edited', apply(null, 'edit')],

  ['payment_failed', 'payment_failed', already()],
  ['payment_failed', 'payment_succeeded', apply('paid', null)],
  ['payment_failed', 'order_fulfilled', defer('paid or partially_fulfilled')],
  ['payment_failed', 'order_refunded', defer('paid or partially_fulfilled or fulfilled')],
  ['payment_failed', 'order_cancelled', apply('cancelled', 'release')],
  ['payment_failed', 'dispute_opened', apply(null, null, ['dispute_opened'])],
  ['payment_failed', 'dispute_lost', apply(null, null, ['dispute_lost'])],
  ['payment_failed', 'units_returned', apply(null, 'release')],
  ['payment_failed', 'order_edited', apply(null, 'edit')],

  ['paid', 'payment_failed', notAllowed('paid', 'payment_failed')],
  ['paid', 'payment_succeeded', already()],
  ['paid', 'order_fulfilled', apply('fulfilled', 'commit')],
  ['paid', 'order_refunded', apply('refunded', 'release')],
  ['paid', 'order_cancelled', apply('cancelled', 'release', ['cancelled_after_payment'])],
  ['paid', 'dispute_opened', apply(null, null, ['dispute_opened'])],
  ['paid', 'dispute_lost', apply(null, null, ['dispute_lost'])],
  ['paid', 'units_returned', apply(null, 'release')],
  ['paid', 'order_edited', apply(null, 'edit')],

  ['partially_fulfilled', 'payment_failed', notAllowed('partially_fulfilled', 'payment_failed')],
  ['partially_fulfilled', 'payment_succeeded', already()],
  ['partially_fulfilled', 'order_fulfilled', apply('fulfilled', 'commit')],
  ['partially_fulfilled', 'order_refunded', apply('refunded', 'release')],
  ['partially_fulfilled', 'order_cancelled', apply('cancelled', 'release', ['cancelled_after_payment'])],
  ['partially_fulfilled', 'dispute_opened', apply(null, null, ['dispute_opened'])],
  ['partially_fulfilled', 'dispute_lost', apply(null, null, ['dispute_lost'])],
  ['partially_fulfilled', 'units_returned', apply(null, 'release')],
  ['partially_fulfilled', 'order_edited', apply(null, 'edit')],

  ['fulfilled', 'payment_failed', notAllowed('fulfilled', 'payment_failed')],
  ['fulfilled', 'payment_succeeded', already()],
  ['fulfilled', 'order_fulfilled', already()],
  ['fulfilled', 'order_refunded', apply('refunded', null)],
  ['fulfilled', 'order_cancelled', notAllowed('fulfilled', 'order_cancelled')],
  ['fulfilled', 'dispute_opened', apply(null, null, ['dispute_opened'])],
  ['fulfilled', 'dispute_lost', apply(null, null, ['dispute_lost'])],
  ['fulfilled', 'units_returned', apply(null, 'restock')],
  ['fulfilled', 'order_edited', ignore('not_editable: fulfilled order')],

  ['refunded', 'payment_failed', notAllowed('refunded', 'payment_failed')],
  ['refunded', 'payment_succeeded', already()],
  ['refunded', 'order_fulfilled', notAllowed('refunded', 'order_fulfilled')],
  ['refunded', 'order_refunded', already()],
  ['refunded', 'order_cancelled', notAllowed('refunded', 'order_cancelled')],
  ['refunded', 'dispute_opened', apply(null, null, ['dispute_opened'])],
  ['refunded', 'dispute_lost', apply(null, null, ['dispute_lost'])],
  ['refunded', 'units_returned', ignore('no_units_to_return: refunded order')],
  ['refunded', 'order_edited', ignore('not_editable: refunded order')],

  ['cancelled', 'payment_failed', notAllowed('cancelled', 'payment_failed')],
  ['cancelled', 'payment_succeeded', flagged('payment_for_cancelled_order')],
  ['cancelled', 'order_fulfilled', notAllowed('cancelled', 'order_fulfilled')],
  ['cancelled', 'order_refunded', notAllowed('cancelled', 'order_refunded')],
  ['cancelled', 'order_cancelled', already()],
  ['cancelled', 'dispute_opened', apply(null, null, ['dispute_opened'])],
  ['cancelled', 'dispute_lost', apply(null, null, ['dispute_lost'])],
  ['cancelled', 'units_returned', ignore('no_units_to_return: cancelled order')],
  ['cancelled', 'order_edited', ignore('not_editable: cancelled order')],

  ['rejected', 'payment_failed', notAllowed('rejected', 'payment_failed')],
  ['rejected', 'payment_succeeded', flagged('payment_for_rejected_order')],
  ['rejected', 'order_fulfilled', notAllowed('rejected', 'order_fulfilled')],
  ['rejected', 'order_refunded', notAllowed('rejected', 'order_refunded')],
  ['rejected', 'order_cancelled', notAllowed('rejected', 'order_cancelled')],
  ['rejected', 'dispute_opened', apply(null, null, ['dispute_opened'])],
  ['rejected', 'dispute_lost', apply(null, null, ['dispute_lost'])],
  ['rejected', 'units_returned', ignore('no_units_to_return: rejected order')],
  ['rejected', 'order_edited', ignore('not_editable: rejected order')],
];
const expectedFor = (status: OrderStatus, event: DecidedEvent): Expected => EXPECTED.find(([s, e]) => s === status && e === event)![2];

/** The facts about a payment or a refund, each value a table column or row takes. */
const COVERS = { unstated: undefined, covers: true, short: false } as const;
type Covers = keyof typeof COVERS;
const IDS = {
  /** the event names no payment */
  none: undefined,
  /** it names the payment the order keeps */
  same: { named: 'pi_1', kept: 'pi_1' },
  /** it names another than the one the order keeps */
  other: { named: 'pi_2', kept: 'pi_1' },
  /** it names one, and the order keeps none */
  first: { named: 'pi_1', kept: null },
} as const;
type Ids = keyof typeof IDS;
type Grid = Record<Covers, Record<Ids, Expected>>;
const row = (none: Expected, same: Expected, other: Expected, first: Expected): Record<Ids, Expected> => ({ none, same, other, first });
const grid = (unstated: Record<Ids, Expected>, covers: Record<Ids, Expected>, short: Record<Ids, Expected>): Grid => ({ unstated, covers, short });
const everywhere = (cells: Record<Ids, Expected>): Grid => grid(cells, cells, cells);

/**
 * payment_succeeded, per status: rows are whether its amount pays the order
 * (unstated, covers, short), columns the payment ids (none named, the one the
 * order keeps, another, one for an order that keeps none).
 */
const unpaid = grid(
  row(apply('paid', null), apply('paid', null, [], 'pi_1'), apply('paid', null, [], 'pi_2'), apply('paid', null, [], 'pi_1')),
  row(apply('paid', null), apply('paid', null, [], 'pi_1'), apply('paid', null, [], 'pi_2'), apply('paid', null, [], 'pi_1')),
  row(flagged('amount_mismatch'), flagged('amount_mismatch'), flagged('amount_mismatch'), flagged('amount_mismatch')),
);
const alreadyPaid = grid(
  row(already(), already(), flagged('double_charge'), already('pi_1')),
  row(already(), already(), flagged('double_charge'), already('pi_1')),
  row(already(), already(), flagged('double_charge'), flagged('amount_mismatch')),
);
const paidForNothing = (reason: string) => everywhere(row(flagged(reason), already(), flagged(reason), flagged(reason)));
const PAYMENT: Record<OrderStatus, Grid> = {
  pending: unpaid,
  payment_failed: unpaid,
  paid: alreadyPaid,
  partially_fulfilled: alreadyPaid,
  fulfilled: alreadyPaid,
  refunded: alreadyPaid,
  cancelled: paidForNothing('payment_for_cancelled_order'),
  rejected: paidForNothing('payment_for_rejected_order'),
};

/**
 * order_refunded, per status (no restock): rows are whether the refund is of
 * the whole order (unconditional, whole, partial), columns the payment ids
 * as above.
 */
const refundOf = (whole: Expected) =>
  grid(
    row(whole, whole, ignore('refund_of_another_payment'), whole),
    row(whole, whole, ignore('refund_of_another_payment'), whole),
    row(ignore('partial_refund'), ignore('partial_refund'), ignore('refund_of_another_payment'), ignore('partial_refund')),
  );
const neverRefunded = (status: OrderStatus) => everywhere(row(notAllowed(status, 'order_refunded'), notAllowed(status, 'order_refunded'), ignore('refund_of_another_payment'), notAllowed(status, 'order_refunded')));
const REFUND: Record<OrderStatus, Grid> = {
  pending: refundOf(defer('paid or partially_fulfilled or fulfilled')),
  payment_failed: refundOf(defer('paid or partially_fulfilled or fulfilled')),
  paid: refundOf(apply('refunded', 'release')),
  partially_fulfilled: refundOf(apply('refunded', 'release')),
  fulfilled: refundOf(apply('refunded', null)),
  refunded: everywhere(row(already(), already(), ignore('refund_of_another_payment'), already())),
  cancelled: neverRefunded('cancelled'),
  rejected: neverRefunded('rejected'),
};

const factsOf = (covers: Covers, ids: Ids, restock: boolean, as: 'payment' | 'refund'): DecisionFacts => ({
  restock,
  ...(COVERS[covers] === undefined ? {} : as === 'payment' ? { paymentCovers: COVERS[covers] } : { refundCovers: COVERS[covers] }),
  ...(IDS[ids] === undefined ? {} : { paymentIds: { ...IDS[ids] } }),
});
const cells = <T>(table: Record<OrderStatus, Record<Covers, Record<Ids, T>>>) =>
  ORDER_STATUSES.flatMap((status) =>
    (Object.keys(COVERS) as Covers[]).flatMap((covers) => (Object.keys(IDS) as Ids[]).map((ids) => [status, covers, ids, table[status][covers][ids]] as const)),
  );

/** Every combination of facts, for the events they do not concern. */
const ALL_FACTS: DecisionFacts[] = [true, false].flatMap((restock) =>
  (Object.keys(COVERS) as Covers[]).flatMap((payment) =>
    (Object.keys(COVERS) as Covers[]).flatMap((refund) =>
      (Object.keys(IDS) as Ids[]).map((ids) => ({
        ...factsOf(payment, ids, restock, 'payment'),
        ...(COVERS[refund] === undefined ? {} : { refundCovers: COVERS[refund] }),
      })),
    ),
  ),
);

describe('the order state machine', () => {
  it('has an expectation for every status and every event, once each', () => {
    const pairs = EXPECTED.map(([status, event]) => `${status} ${event}`);
    const every = ORDER_STATUSES.flatMap((status) => EVENTS.map((event) => `${status} ${event}`));
    expect(new Set(pairs).size).toBe(pairs.length);
    expect([...pairs].sort()).toEqual([...every].sort());
  });

  it.each(EXPECTED)('decides %s + %s with no further fact', (status, event, expected) => {
    expect(summary(status, event, decide(status, event, NO_FACTS))).toEqual(expected);
  });

  it.each(EVENTS)('defers %s for an order not known yet, whatever the facts', (event) => {
    for (const facts of ALL_FACTS) expect(decide(undefined, event, facts)).toEqual({ kind: 'defer', reason: 'order_not_found' });
  });

  const unconcerned = EXPECTED.filter(([, event]) => event !== 'payment_succeeded' && event !== 'order_refunded');
  it.each(unconcerned.map(([status, event]) => [status, event] as const))('decides %s + %s alike whatever the payment, refund and restock facts', (status, event) => {
    for (const facts of ALL_FACTS) expect([facts, summary(status, event, decide(status, event, facts))]).toEqual([facts, expectedFor(status, event)]);
  });

  it.each(cells(PAYMENT))('decides %s + payment_succeeded, amount %s, payment ids %s: %j', (status, covers, ids, expected) => {
    for (const restock of [false, true]) {
      for (const refundCovers of [undefined, true, false]) {
        const facts = { ...factsOf(covers, ids, restock, 'payment'), ...(refundCovers === undefined ? {} : { refundCovers }) };
        expect([facts, summary(status, 'payment_succeeded', decide(status, 'payment_succeeded', facts))]).toEqual([facts, expected]);
      }
    }
  });

  it.each(cells(REFUND))('decides %s + order_refunded, refund %s, payment ids %s: %j (restock: for a fulfilled order, the units come back)', (status, covers, ids, expected) => {
    for (const restock of [false, true]) {
      // restock changes one thing: a fulfilled (or part-shipped) order's shipped units come back on hand
      const restockedMovement = { fulfilled: 'restock', partially_fulfilled: 'release_and_restock' }[status as string];
      const restocked = restock && expected.kind === 'apply' && restockedMovement ? { ...expected, movement: restockedMovement } : expected;
      for (const paymentCovers of [undefined, true, false]) {
        const facts = { ...factsOf(covers, ids, restock, 'refund'), ...(paymentCovers === undefined ? {} : { paymentCovers }) };
        expect([facts, summary(status, 'order_refunded', decide(status, 'order_refunded', facts))]).toEqual([facts, restocked]);
      }
    }
  });

  it('flags only for the contract\'s attention reasons', () => {
    const raised = new Set(
      ORDER_STATUSES.flatMap((status) => EVENTS.flatMap((event) => [...ALL_FACTS, { restock: false, edit: { stale: false, changes: true, short: true } }].flatMap((facts) => {
        const decision = decide(status, event, facts);
        return decision.kind === 'defer' ? [] : decision.flags;
      }))),
    );
    expect([...raised].sort()).toEqual([...ATTENTION_REASONS].sort());
  });

  it.each([
    ['rejected', 'never leaves the status it was created in'],
    ['cancelled', 'is final'],
    ['refunded', 'is final'],
  ] as const)('%s %s: no event changes its status or moves its units', (status, _why) => {
    for (const event of EVENTS) {
      for (const facts of ALL_FACTS) {
        const decision = decide(status, event, facts);
        expect(decision.kind === 'defer' || (decision.kind === 'apply' && (decision.transition !== null || decision.movement !== null))).toBe(false);
      }
    }
  });

  it('knows, per status, whether the order holds its units reserved, shipped, or none', () => {
    expect(Object.fromEntries(ORDER_STATUSES.map((status) => [status, unitsHeldIn(status)]))).toEqual({
      pending: 'reserved',
      payment_failed: 'reserved',
      paid: 'reserved',
      partially_fulfilled: 'reserved',
      fulfilled: 'shipped',
      refunded: 'none',
      cancelled: 'none',
      rejected: 'none',
    });
  });

  it('flags the one transition that needs a person: a paid order cancelled', () => {
    expect(TRANSITIONS.filter((t) => t.attention).map((t) => [t.from, t.on, t.attention])).toEqual([
      ['paid', 'order_cancelled', 'cancelled_after_payment'],
      ['partially_fulfilled', 'order_cancelled', 'cancelled_after_payment'],
    ]);
  });

  /**
   * A parcel (order_fulfilled with items), per status and per fact: told
   * before (seen), whether the order still holds any of its units to ship,
   * whether it ships the last of them.
   */
  const PARCEL: Record<OrderStatus, (parcel: { seen: boolean; shipsSomething: boolean; completes: boolean }) => Expected> = {
    pending: (p) => (p.seen ? already() : defer('paid or partially_fulfilled')),
    payment_failed: (p) => (p.seen ? already() : defer('paid or partially_fulfilled')),
    paid: (p) => (p.seen ? already() : !p.shipsSomething ? ignore('nothing_left_to_ship') : apply(p.completes ? 'fulfilled' : 'partially_fulfilled', 'commit')),
    partially_fulfilled: (p) => (p.seen ? already() : !p.shipsSomething ? ignore('nothing_left_to_ship') : apply(p.completes ? 'fulfilled' : null, 'commit')),
    fulfilled: () => already(),
    refunded: (p) => (p.seen ? already() : notAllowed('refunded', 'order_fulfilled')),
    cancelled: (p) => (p.seen ? already() : notAllowed('cancelled', 'order_fulfilled')),
    rejected: (p) => (p.seen ? already() : notAllowed('rejected', 'order_fulfilled')),
  };
  const BOOLS = [false, true];
  const parcels = BOOLS.flatMap((seen) => BOOLS.flatMap((shipsSomething) => BOOLS.map((completes) => ({ seen, shipsSomething, completes }))));
  it.each(ORDER_STATUSES.flatMap((status) => parcels.map((parcel) => [status, parcel] as const)))('decides %s + a parcel %j', (status, parcel) => {
    expect(summary(status, 'order_fulfilled', decide(status, 'order_fulfilled', { restock: false, parcel }))).toEqual(PARCEL[status](parcel));
  });

  /** A new list of lines, per status and per fact: older than the newest applied (stale), changing anything, adding more than is available (short). */
  const editable = (e: { changes: boolean; short: boolean }) => (!e.changes ? already() : apply(null, 'edit', e.short ? ['edit_short'] : []));
  const closed = (status: OrderStatus) => (e: { changes: boolean }) => (!e.changes ? already() : ignore(`not_editable: ${status} order`));
  const EDIT: Record<OrderStatus, (edit: { changes: boolean; short: boolean }) => Expected> = {
    pending: editable,
    payment_failed: editable,
    paid: editable,
    partially_fulfilled: editable,
    fulfilled: closed('fulfilled'),
    refunded: closed('refunded'),
    cancelled: closed('cancelled'),
    rejected: closed('rejected'),
  };
  const edits = BOOLS.flatMap((stale) => BOOLS.flatMap((changes) => BOOLS.map((short) => ({ stale, changes, short }))));
  it.each(ORDER_STATUSES.flatMap((status) => edits.map((edit) => [status, edit] as const)))('decides %s + order_edited %j', (status, edit) => {
    const expected = edit.stale ? ignore('stale') : EDIT[status](edit);
    expect(summary(status, ORDER_EDITED, decide(status, ORDER_EDITED, { restock: false, edit }))).toEqual(expected);
  });
});

describe('lifecycleRank: the order in which deferred events are tried', () => {
  it.each([
    ['payment_failed', 0],
    ['payment_succeeded', 1],
    ['order_fulfilled', 2],
    ['order_refunded', 3],
    ['order_cancelled', 4],
    ['new_order', 5],
    ['charge.succeeded', 5],
    ['', 5],
  ])('ranks %j at %i', (event, rank) => {
    expect(lifecycleRank(event)).toBe(rank);
  });

  it('sorts a lifecycle delivered backwards, with an unknown event, into the order of README', () => {
    const arrived = ['customer.updated', 'order_cancelled', 'order_refunded', 'order_fulfilled', 'payment_succeeded', 'payment_failed'];
    expect([...arrived].sort((a, b) => lifecycleRank(a) - lifecycleRank(b))).toEqual([
      'payment_failed',
      'payment_succeeded',
      'order_fulfilled',
      'order_refunded',
      'order_cancelled',
      'customer.updated',
    ]);
  });
});

describe('isLifecycleEvent', () => {
  it.each([
    ['payment_failed', true],
    ['payment_succeeded', true],
    ['order_fulfilled', true],
    ['order_refunded', true],
    ['order_cancelled', true],
    ['new_order', false],
    ['charge.succeeded', false],
    ['PAYMENT_SUCCEEDED', false],
    [' payment_succeeded', false],
    ['', false],
    ['toString', false],
    ['__proto__', false],
  ])('answers %j: %s', (event, expected) => {
    expect(isLifecycleEvent(event)).toBe(expected);
  });
});

describe('returned units that say whether they had shipped (Shopify restock_type return or cancel)', () => {
  /** Per status: units that shipped and came back; units that never shipped. */
  const RETURNS: Record<OrderStatus, { shipped: Expected; unshipped: Expected }> = {
    pending: { shipped: { kind: 'defer', reason: 'awaiting_status: fulfilled or partially_fulfilled' }, unshipped: apply(null, 'release') },
    payment_failed: { shipped: { kind: 'defer', reason: 'awaiting_status: fulfilled or partially_fulfilled' }, unshipped: apply(null, 'release') },
    paid: { shipped: { kind: 'defer', reason: 'awaiting_status: fulfilled or partially_fulfilled' }, unshipped: apply(null, 'release') },
    partially_fulfilled: { shipped: apply(null, 'restock'), unshipped: apply(null, 'release') },
    fulfilled: { shipped: apply(null, 'restock'), unshipped: ignore('no_unshipped_units_to_return: fulfilled order') },
    refunded: { shipped: ignore('no_shipped_units_to_return: refunded order'), unshipped: ignore('no_unshipped_units_to_return: refunded order') },
    cancelled: { shipped: ignore('no_shipped_units_to_return: cancelled order'), unshipped: ignore('no_unshipped_units_to_return: cancelled order') },
    rejected: { shipped: ignore('no_shipped_units_to_return: rejected order'), unshipped: ignore('no_unshipped_units_to_return: rejected order') },
  };
  it.each(ORDER_STATUSES.flatMap((status) => [[status, true], [status, false]] as const))('decides %s + units_returned that had shipped: %s', (status, shipped) => {
    const decision = decide(status, UNITS_RETURNED, { restock: true, returnsShipped: shipped });
    expect(summary(status, UNITS_RETURNED, decision)).toEqual(RETURNS[status][shipped ? 'shipped' : 'unshipped']);
  });
});
