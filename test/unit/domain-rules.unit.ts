import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { deferralRank, type OrderCommand } from '../../src/orders/order-commands.js';
import { CREATION, stockMovementOf, TRANSITIONS, transitionFor } from '../../src/orders/order-state-machine.js';
import { deliveryStatusOf, differsFromClaim, isReplayable, isSettled } from '../../src/webhooks/delivery-status.js';
import { readStored } from '../../src/webhooks/providers/provider.js';
import { ShelfsyncProvider, UNKNOWN_EVENT_TYPE } from '../../src/webhooks/providers/shelfsync.provider.js';

describe('the state machine: creation and stock movements', () => {
  it('creates an order pending with every line reserved, or rejected for insufficient stock', () => {
    expect(CREATION).toEqual({ whenReserved: 'pending', whenShort: 'rejected', reasonWhenShort: 'insufficient_stock' });
  });

  it.each([
    ['paid', 'order_fulfilled', false, 'commit'],
    ['paid', 'order_refunded', false, 'release'],
    ['paid', 'order_cancelled', false, 'release'],
    ['pending', 'order_cancelled', false, 'release'],
    ['fulfilled', 'order_refunded', true, 'restock'],
    ['fulfilled', 'order_refunded', false, null],
    ['pending', 'payment_succeeded', true, null],
    ['pending', 'payment_failed', false, null],
  ] as const)('moves stock for %s + %s (restock asked: %s): %s', (from, on, restock, movement) => {
    expect(stockMovementOf(transitionFor(from, on)!, restock)).toBe(movement);
  });

  it('has a transition for every stock effect it names', () => {
    expect(new Set(TRANSITIONS.map((t) => t.stock))).toEqual(new Set(['none', 'release', 'commit', 'restock_if_asked', 'release_and_restock_if_asked']));
  });
});

describe('deferralRank: which deferred command of an order is tried first', () => {
  const lifecycle = (event: string): OrderCommand => ({ kind: 'lifecycle', orderId: 'o', event, reason: null, restock: false }) as OrderCommand;
  it('tries the lifecycle in its order, whatever the arrival order', () => {
    const arrived = ['order_cancelled', 'order_refunded', 'order_fulfilled', 'payment_succeeded', 'payment_failed'].map(lifecycle);
    const sorted = [...arrived].sort((a, b) => deferralRank([a]) - deferralRank([b]));
    expect(sorted.map((c) => (c.kind === 'lifecycle' ? c.event : c.kind))).toEqual([
      'payment_failed', 'payment_succeeded', 'order_fulfilled', 'order_refunded', 'order_cancelled',
    ]);
  });

  it('puts a creation before any lifecycle event', () => {
    const create: OrderCommand = { kind: 'create_order', orderId: 'o', customerName: 'c', customerEmail: null, totalAmount: 0, currency: 'USD', lines: [] };
    expect(deferralRank([create])).toBeLessThan(deferralRank([lifecycle('payment_failed')]));
  });
});

describe('the status of a delivery', () => {
  it.each([
    ['applied', 'processed'],
    ['deferred', 'deferred'],
    ['ignored', 'ignored'],
  ] as const)('records a command %s as %s', (result, status) => {
    expect(deliveryStatusOf({ result })).toBe(status);
  });

  it.each([
    ['processed', true, false],
    ['ignored', true, true],
    ['deferred', false, false],
    ['failed', false, true],
  ] as const)('%s: settled %s, replayable %s', (status, settled, replayable) => {
    expect(isSettled(status)).toBe(settled);
    expect(isReplayable(status)).toBe(replayable);
  });

  it('needs a write over a fresh claim only for another status or a reason', () => {
    expect(differsFromClaim('processed', null)).toBe(false);
    expect(differsFromClaim('processed', 'insufficient_stock')).toBe(true);
    expect(differsFromClaim('ignored', null)).toBe(true);
    expect(differsFromClaim('deferred', 'order_not_found')).toBe(true);
  });
});

describe('the shelfsync provider: the envelope as domain commands', () => {
  const provider = new ShelfsyncProvider();
  const read = (body: unknown, headers = {}) => readStored(provider, Buffer.from(JSON.stringify(body)), headers);

  it('reads new_order as a creation, order ids as text and the currency upper-cased', () => {
    const delivery = read({ id: 'e1', event: 'new_order', data: { order_id: 12345, customer_name: 'A', total_amount: 5, currency: 'eur', items: [{ sku: 'S', quantity: 2 }] } });
    expect(delivery).toEqual({
      eventId: 'e1',
      eventType: 'new_order',
      orderId: '12345',
      commands: [{ kind: 'create_order', orderId: '12345', customerName: 'A', customerEmail: null, totalAmount: 5, currency: 'EUR', lines: [{ sku: 'S', quantity: 2, unitPrice: null }] }],
    });
  });

  it.each(['payment_succeeded', 'payment_failed', 'order_cancelled', 'order_fulfilled', 'order_refunded'])('reads %s as a lifecycle command', (event) => {
    expect(read({ id: 'e2', event, data: { order_id: 'o-1', reason: 'r', restock: true } }).commands).toEqual([
      { kind: 'lifecycle', orderId: 'o-1', event, reason: 'r', restock: true },
    ]);
  });

  it("passes a payment's payment_id on (the payment the order keeps), and no other event's", () => {
    expect(read({ id: 'e4', event: 'payment_succeeded', data: { order_id: 'o-1', amount: 5, payment_id: 'pay_1' } }).commands).toEqual([
      { kind: 'lifecycle', orderId: 'o-1', event: 'payment_succeeded', reason: null, restock: false, paymentId: 'pay_1' },
    ]);
    expect(read({ id: 'e5', event: 'order_refunded', data: { order_id: 'o-1', payment_id: 'pay_1' } }).commands).toEqual([
      { kind: 'lifecycle', orderId: 'o-1', event: 'order_refunded', reason: null, restock: false },
    ]);
  });

  it('reads an event type it does not know as nothing to do, with its reason', () => {
    expect(read({ id: 'e3', type: 'charge.succeeded', data: { anything: 1 } })).toEqual({
      eventId: 'e3', eventType: 'charge.succeeded', orderId: null, commands: [], ignoredReason: UNKNOWN_EVENT_TYPE,
    });
  });

  it('names the event types it maps onto the domain, and no others', () => {
    expect(['new_order', 'payment_succeeded', 'order_refunded'].map((type) => provider.understands(type))).toEqual([true, true, true]);
    expect(['charge.succeeded', 'NEW_ORDER', ''].map((type) => provider.understands(type))).toEqual([false, false, false]);
  });

  it('names a delivery before reading what it asks, so a 400 for its data still knows its id and type', () => {
    const identified = provider.identify(Buffer.from(JSON.stringify({ id: 'e4', event: 'new_order', data: { order_id: 'o' } })), {});
    expect(identified).toMatchObject({ eventId: 'e4', eventType: 'new_order' });
    expect(() => provider.commandOf(identified)).toThrow(/data\.customer_name/);
  });

  it('refuses data its event cannot have, naming the field', () => {
    expect(() => read({ event: 'payment_succeeded', data: { order_id: -1 } })).toThrow(/data\.order_id/);
    expect(() => read({ event: 'new_order', data: [] })).toThrow(/data must be a JSON object/);
  });
});
