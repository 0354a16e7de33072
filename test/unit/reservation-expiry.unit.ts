import { describe, expect, it } from '@jest/globals';
import {
  decide,
  decideExpiry,
  EXPIRING_STATUSES,
  EXPIRY_TRANSITIONS,
  isLifecycleEvent,
  RESERVATION_EXPIRED,
  stockMovementOf,
} from '../../src/orders/order-state-machine.js';
import { ORDER_STATUSES, type OrderStatus } from '../../src/orders/order-status.js';
import { sweepPeriodMs } from '../../src/orders/reservation-sweeper.js';

const TTL = 60_000;
const expire = { kind: 'expire', to: 'cancelled', stock: 'release', reason: 'reservation_expired' } as const;
const keep = (reason: string) => ({ kind: 'keep', reason }) as const;

/** Every status, due or not, written out by hand: only an unpaid order that is due expires. */
const EXPECTED: [OrderStatus | undefined, boolean, number, ReturnType<typeof keep> | typeof expire][] = [
  ['pending', true, TTL, expire],
  ['payment_failed', true, TTL, expire],
  ['pending', false, TTL, keep('not_due')],
  ['payment_failed', false, TTL, keep('not_due')],
  ['paid', true, TTL, keep('not_unpaid: paid order')],
  ['partially_fulfilled', true, TTL, keep('not_unpaid: partially_fulfilled order')],
  ['fulfilled', true, TTL, keep('not_unpaid: fulfilled order')],
  ['refunded', true, TTL, keep('not_unpaid: refunded order')],
  ['cancelled', true, TTL, keep('not_unpaid: cancelled order')],
  ['rejected', true, TTL, keep('not_unpaid: rejected order')],
  ['paid', false, TTL, keep('not_unpaid: paid order')],
  [undefined, true, TTL, keep('order_not_found')],
  // RESERVATION_TTL=0: nothing ever expires
  ['pending', true, 0, keep('expiry_off')],
  ['payment_failed', true, 0, keep('expiry_off')],
];

describe('reservation expiry, as the state machine decides it', () => {
  it('covers every status, due and not due', () => {
    for (const status of ORDER_STATUSES) {
      expect(EXPECTED.some(([s, due, ttl]) => s === status && due && ttl === TTL)).toBe(true);
    }
  });

  it.each(EXPECTED)('a %s order (due: %s, TTL %d ms) -> %j', (status, due, ttl, expected) => {
    const decision = decideExpiry(status, due, ttl);
    if (expected.kind === 'keep') {
      expect(decision).toEqual(expected);
      return;
    }
    expect(decision.kind).toBe('expire');
    if (decision.kind !== 'expire') return;
    const { to, stock, reason } = decision.transition;
    expect({ kind: decision.kind, to, stock, reason }).toEqual(expected);
    expect(decision.transition.from).toBe(status);
    // the units held go back to available, with their ledger rows (kind release)
    expect(stockMovementOf(decision.transition, false)).toBe('release');
  });

  it('expires the unpaid statuses only, which the sweeper looks for', () => {
    expect([...EXPIRING_STATUSES].sort()).toEqual(['payment_failed', 'pending']);
    expect(EXPIRY_TRANSITIONS.every((t) => t.to === 'cancelled' && t.on === RESERVATION_EXPIRED)).toBe(true);
  });

  it('is not an event a source can send', () => {
    expect(isLifecycleEvent(RESERVATION_EXPIRED)).toBe(false);
  });

  it('leaves an expired order where a late payment is ignored and the order flagged', () => {
    for (const t of EXPIRY_TRANSITIONS) {
      expect(decide(t.to, 'payment_succeeded', { restock: false })).toEqual({
        kind: 'ignore',
        reason: `payment_for_${t.to}_order`,
        flags: [`payment_for_${t.to}_order`],
        keepPaymentId: null,
      });
    }
  });
});

describe('how often the sweeper looks', () => {
  it.each([
    [1_000, 250],
    [400, 200],
    [100, 200],
    [20_000, 5_000],
    [60_000, 5_000],
    [3_600_000, 5_000],
  ])('a TTL of %d ms: every %d ms', (ttl, period) => {
    expect(sweepPeriodMs(ttl)).toBe(period);
  });
});
