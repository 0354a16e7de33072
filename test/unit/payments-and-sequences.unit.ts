import { describe, expect, it } from '@jest/globals';
import { type OrderOutcome, outcomeOfSequence } from '../../src/orders/order-commands.js';
import { compareDecimals, paymentCovers, refundCoversOrder } from '../../src/orders/order-state-machine.js';

describe('paymentCovers: a gateway payment pays its order only in full and in its currency', () => {
  it.each([
    { amount: '10.00', currency: 'USD', total: '10.0000', orderCurrency: 'USD', covers: true },
    { amount: '10.01', currency: 'usd', total: '10.0000', orderCurrency: 'USD', covers: true },
    { amount: '9.99', currency: 'USD', total: '10.0000', orderCurrency: 'USD', covers: false },
    { amount: '10', currency: 'EUR', total: '10.0000', orderCurrency: 'USD', covers: false },
    { amount: '1000', currency: 'JPY', total: '1000.0000', orderCurrency: 'JPY', covers: true },
    { amount: '999', currency: 'JPY', total: '1000.0000', orderCurrency: 'JPY', covers: false },
    { amount: '5.125', currency: 'KWD', total: '5.1250', orderCurrency: 'KWD', covers: true },
    { amount: '5.124', currency: 'KWD', total: '5.1250', orderCurrency: 'KWD', covers: false },
    // beyond what a double holds exactly
    { amount: '90071992547409.93', currency: 'USD', total: '90071992547409.9200', orderCurrency: 'USD', covers: true },
    { amount: '90071992547409.91', currency: 'USD', total: '90071992547409.9200', orderCurrency: 'USD', covers: false },
  ])('$amount $currency for $total $orderCurrency: $covers', ({ amount, currency, total, orderCurrency, covers }) => {
    expect(paymentCovers({ amount, currency }, { totalAmount: total, currency: orderCurrency })).toBe(covers);
  });

  it.each([
    ['1', '1.000', 0],
    ['0.5', '0.49', 1],
    ['12', '112', -1],
    ['0', '0.0001', -1],
  ])('compares %s with %s exactly', (a, b, sign) => {
    expect(compareDecimals(a, b)).toBe(sign);
  });

  // what decide() makes of a payment that does not cover its order: the PAYMENT table of order-state-machine.unit.ts
});

describe('outcomeOfSequence: one delivery, several commands', () => {
  const applied = (status: OrderOutcome['status'], reason: string | null = null): OrderOutcome => ({ result: 'applied', reason, status });
  const ignored = (reason: string, status?: OrderOutcome['status']): OrderOutcome => ({ result: 'ignored', reason, status });
  const deferred = (reason: string, status?: OrderOutcome['status']): OrderOutcome => ({ result: 'deferred', reason, status });
  it.each([
    { title: 'created and paid: applied, where the order ended', outcomes: [applied('pending'), applied('paid')], expected: applied('paid') },
    {
      title: 'created short of stock, then a payment for it: applied (rejected), the payment flagged it',
      outcomes: [applied('rejected', 'insufficient_stock'), ignored('payment_for_rejected_order', 'rejected')],
      expected: applied('rejected', 'insufficient_stock'),
    },
    {
      title: 'an order that exists, then a payment that applies: applied',
      outcomes: [ignored('order_already_exists', 'pending'), applied('paid')],
      expected: applied('paid'),
    },
    {
      title: 'nothing applies: ignored, for the first reason',
      outcomes: [ignored('order_already_exists', 'paid'), ignored('already_applied', 'paid')],
      expected: ignored('order_already_exists', 'paid'),
    },
    {
      title: 'one must wait: deferred, for its reason, where the order is now',
      outcomes: [applied('pending'), deferred('awaiting_status: paid', 'pending')],
      expected: deferred('awaiting_status: paid', 'pending'),
    },
  ])('$title', ({ outcomes, expected }) => {
    expect(outcomeOfSequence(outcomes)).toEqual(expected);
  });
});

describe('refundCoversOrder: a refund naming lines refunds the order only when it is one of everything', () => {
  const lines = (...l: [string | null, number][]) => l.map(([sku, quantity]) => ({ sku, quantity }));
  it.each([
    { title: 'every unit of every SKU', ordered: lines(['A', 2], ['B', 1]), refunded: lines(['B', 1], ['A', 2]), covers: true },
    { title: 'one of two lines', ordered: lines(['A', 2], ['B', 1]), refunded: lines(['A', 2]), covers: false },
    { title: 'part of a line', ordered: lines(['A', 2]), refunded: lines(['A', 1]), covers: false },
    { title: 'lines of one SKU added up', ordered: lines(['A', 1], ['A', 2]), refunded: lines(['A', 3]), covers: true },
    { title: 'lines without a SKU count together', ordered: lines([null, 1], [null, 1], ['A', 1]), refunded: lines([null, 2], ['A', 1]), covers: true },
    { title: 'a line without a SKU left out', ordered: lines([null, 1], ['A', 1]), refunded: lines(['A', 1]), covers: false },
    { title: 'an order with no lines is not refunded by lines', ordered: lines(), refunded: lines(['A', 1]), covers: false },
  ])('$title: $covers', ({ ordered, refunded, covers }) => {
    expect(refundCoversOrder(ordered, refunded)).toBe(covers);
  });
});
