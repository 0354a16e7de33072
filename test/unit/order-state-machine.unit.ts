import { describe, expect, it } from '@jest/globals';
import {
  decide,
  isLifecycleEvent,
  LIFECYCLE_EVENTS,
  lifecycleRank,
  type LifecycleEvent,
  type StockEffect,
} from '../../src/orders/order-state-machine.js';
import { ORDER_STATUSES, type OrderStatus } from '../../src/orders/order-status.js';

type Expected =
  | { kind: 'apply'; to: OrderStatus; stock: StockEffect; needsAttention?: true }
  | { kind: 'defer'; reason: string }
  | { kind: 'ignore'; reason: string; flag: boolean };

const apply = (to: OrderStatus, stock: StockEffect, needsAttention?: true): Expected =>
  needsAttention ? { kind: 'apply', to, stock, needsAttention } : { kind: 'apply', to, stock };
/** Not yet: the reason names the statuses it waits for. */
const defer = (awaiting: string): Expected => ({ kind: 'defer', reason: `awaiting_status: ${awaiting}` });
/** Never; a payment for an order that will not ship flags it for attention. */
const ignore = (status: OrderStatus, event: LifecycleEvent): Expected => ({ kind: 'ignore', reason: `transition_not_allowed: ${event} on a ${status} order`, flag: false });
const paidForNothing = (status: OrderStatus): Expected => ({ kind: 'ignore', reason: `payment_for_${status}_order`, flag: true });

/**
 * The lifecycle of README's diagram, written out by hand for every status and
 * every event: what the order does with the event now, later, or never.
 */
const EXPECTED: [OrderStatus, LifecycleEvent, Expected][] = [
  ['pending', 'payment_failed', apply('payment_failed', 'none')],
  ['pending', 'payment_succeeded', apply('paid', 'none')],
  ['pending', 'order_fulfilled', defer('paid')],
  ['pending', 'order_refunded', defer('paid or fulfilled')],
  ['pending', 'order_cancelled', apply('cancelled', 'release')],

  ['payment_failed', 'payment_failed', ignore('payment_failed', 'payment_failed')],
  ['payment_failed', 'payment_succeeded', apply('paid', 'none')],
  ['payment_failed', 'order_fulfilled', defer('paid')],
  ['payment_failed', 'order_refunded', defer('paid or fulfilled')],
  ['payment_failed', 'order_cancelled', apply('cancelled', 'release')],

  ['paid', 'payment_failed', ignore('paid', 'payment_failed')],
  ['paid', 'payment_succeeded', ignore('paid', 'payment_succeeded')],
  ['paid', 'order_fulfilled', apply('fulfilled', 'commit')],
  ['paid', 'order_refunded', apply('refunded', 'release')],
  ['paid', 'order_cancelled', apply('cancelled', 'release', true)],

  ['fulfilled', 'payment_failed', ignore('fulfilled', 'payment_failed')],
  ['fulfilled', 'payment_succeeded', ignore('fulfilled', 'payment_succeeded')],
  ['fulfilled', 'order_fulfilled', ignore('fulfilled', 'order_fulfilled')],
  ['fulfilled', 'order_refunded', apply('refunded', 'restock_if_asked')],
  ['fulfilled', 'order_cancelled', ignore('fulfilled', 'order_cancelled')],

  ['refunded', 'payment_failed', ignore('refunded', 'payment_failed')],
  ['refunded', 'payment_succeeded', ignore('refunded', 'payment_succeeded')],
  ['refunded', 'order_fulfilled', ignore('refunded', 'order_fulfilled')],
  ['refunded', 'order_refunded', ignore('refunded', 'order_refunded')],
  ['refunded', 'order_cancelled', ignore('refunded', 'order_cancelled')],

  ['cancelled', 'payment_failed', ignore('cancelled', 'payment_failed')],
  ['cancelled', 'payment_succeeded', paidForNothing('cancelled')],
  ['cancelled', 'order_fulfilled', ignore('cancelled', 'order_fulfilled')],
  ['cancelled', 'order_refunded', ignore('cancelled', 'order_refunded')],
  ['cancelled', 'order_cancelled', ignore('cancelled', 'order_cancelled')],

  ['rejected', 'payment_failed', ignore('rejected', 'payment_failed')],
  ['rejected', 'payment_succeeded', paidForNothing('rejected')],
  ['rejected', 'order_fulfilled', ignore('rejected', 'order_fulfilled')],
  ['rejected', 'order_refunded', ignore('rejected', 'order_refunded')],
  ['rejected', 'order_cancelled', ignore('rejected', 'order_cancelled')],
];

function describeDecision(expected: Expected): string {
  if (expected.kind !== 'apply') return expected.kind;
  return `apply: to ${expected.to}, stock ${expected.stock}${expected.needsAttention ? ', needs attention' : ''}`;
}

describe('the order state machine', () => {
  it('has an expectation for every status and every event, once each', () => {
    const pairs = EXPECTED.map(([status, event]) => `${status} ${event}`);
    const every = ORDER_STATUSES.flatMap((status) => LIFECYCLE_EVENTS.map((event) => `${status} ${event}`));
    expect(new Set(pairs).size).toBe(pairs.length);
    expect([...pairs].sort()).toEqual([...every].sort());
  });

  it.each(EXPECTED.map(([status, event, expected]) => [status, event, describeDecision(expected), expected] as const))(
    'decides %s + %s: %s',
    (status, event, _summary, expected) => {
      const decision = decide(status, event);
      if (expected.kind !== 'apply') {
        expect(decision).toEqual(expected);
        return;
      }
      expect(decision.kind).toBe('apply');
      if (decision.kind !== 'apply') return;
      const { to, stock, needsAttention } = decision.transition;
      expect({ to, stock, needsAttention }).toEqual({ to: expected.to, stock: expected.stock, needsAttention: expected.needsAttention });
      expect(decision.transition).toMatchObject({ from: status, on: event });
    },
  );

  it('defers every event for an order not known yet', () => {
    for (const event of LIFECYCLE_EVENTS) expect(decide(undefined, event)).toEqual({ kind: 'defer', reason: 'order_not_found' });
  });

  it.each([
    ['rejected', 'never leaves the status it was created in'],
    ['cancelled', 'is final'],
    ['refunded', 'is final'],
  ] as const)('%s %s: every event is ignored', (status, _why) => {
    expect(LIFECYCLE_EVENTS.map((event) => decide(status, event).kind)).toEqual(LIFECYCLE_EVENTS.map(() => 'ignore'));
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
