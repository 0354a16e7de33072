import { beforeEach, describe, expect, it } from '@jest/globals';
import type { OrderCommand, OrderOutcome } from '../src/orders/order-commands.js';
import { OrdersService } from '../src/orders/orders.service.js';
import { count, ledgerMismatches, resetDatabase, seedStock, stockOf } from './support/database.js';
import { useTestApp } from './support/test-app.js';

/**
 * The domain's commands as native deliveries use them, carried out by
 * OrdersService against PostgreSQL: several commands in one delivery, a
 * gateway's payment checked against the order, returned units, lines
 * without a SKU. (The providers' own specs send the gateways' payloads.)
 */
describe('order commands of native deliveries', () => {
  const t = useTestApp();
  let eventIds: string[];

  beforeEach(async () => {
    await resetDatabase(t.db);
    await seedStock(t.db, { A: 10, B: 10 });
    // Every history and ledger row names a delivery: a few stored ones to name.
    const rows = await t.db.query<{ id: string }[]>(
      `INSERT INTO webhook_events (source, event_id, event_type, status, headers, raw_body)
       SELECT 'default', 'e' || g, 'test', 'processed', '{}', 'x' FROM generate_series(1, 8) AS g RETURNING id::text`,
    );
    eventIds = rows.map((r) => r.id);
  });

  const create = (orderId: string, lines: { sku: string | null; quantity: number }[], totalAmount = 10, currency = 'USD'): OrderCommand => ({
    kind: 'create_order',
    orderId,
    customerName: 'C',
    customerEmail: null,
    totalAmount,
    currency,
    lines: lines.map((l) => ({ ...l, unitPrice: null })),
  });
  const lifecycle = (orderId: string, event: string, extra: Partial<OrderCommand> = {}): OrderCommand =>
    ({ kind: 'lifecycle', orderId, event, reason: null, restock: false, ...extra }) as OrderCommand;
  const returns = (orderId: string, lines: { sku: string; quantity: number }[]): OrderCommand => ({ kind: 'return_units', orderId, lines });

  async function apply(...deliveries: OrderCommand[][]): Promise<OrderOutcome[]> {
    const orders = t.app.get(OrdersService);
    return t.db.transaction((em) =>
      orders.apply(em, deliveries.map((commands, i) => ({ commands, cause: { source: 'default', orderSources: ['default'], webhookEventId: eventIds[i % eventIds.length] } }))),
    );
  }
  const orderRow = async (orderId: string) =>
    (await t.db.query(`SELECT status, needs_attention, payment_id FROM orders WHERE order_id = $1`, [orderId]))[0] as
      | { status: string; needs_attention: boolean; payment_id: string | null }
      | undefined;

  it('applies a delivery created and paid in one go, and answers where the order ended', async () => {
    const [outcome] = await apply([create('o1', [{ sku: 'A', quantity: 2 }]), lifecycle('o1', 'payment_succeeded')]);
    expect(outcome).toEqual({ result: 'applied', reason: null, status: 'paid' });
    expect(await orderRow('o1')).toEqual({ status: 'paid', needs_attention: false, payment_id: null });
    expect(await count(t.db, 'order_status_history', `order_id = 'o1'`)).toBe(2);
  });

  it('defers a delivery whose first command waits for its order, and applies none of it', async () => {
    const [outcome] = await apply([lifecycle('o2', 'payment_succeeded'), lifecycle('o2', 'order_fulfilled')]);
    expect(outcome).toEqual({ result: 'deferred', reason: 'order_not_found', status: undefined });
    expect(await orderRow('o2')).toBeUndefined();
  });

  it('pays an order only with a payment that covers it in its currency, and keeps the payment id', async () => {
    await apply([create('o3', [{ sku: 'A', quantity: 1 }], 10.5, 'EUR')]);
    const short = lifecycle('o3', 'payment_succeeded', { payment: { amount: '10.49', currency: 'EUR' }, paymentId: 'pi_1' });
    const other = lifecycle('o3', 'payment_succeeded', { payment: { amount: '10.50', currency: 'USD' }, paymentId: 'pi_1' });
    expect(await apply([short], [other])).toEqual([
      { result: 'ignored', reason: 'amount_mismatch', status: 'pending' },
      { result: 'ignored', reason: 'amount_mismatch', status: 'pending' },
    ]);
    expect(await orderRow('o3')).toEqual({ status: 'pending', needs_attention: true, payment_id: null });
    const exact = lifecycle('o3', 'payment_succeeded', { payment: { amount: '10.50', currency: 'eur' }, paymentId: 'pi_1' });
    expect(await apply([exact])).toEqual([{ result: 'applied', reason: null, status: 'paid' }]);
    expect(await orderRow('o3')).toMatchObject({ status: 'paid', payment_id: 'pi_1' });
    expect(await t.db.transaction((em) => t.app.get(OrdersService).orderIdOfPayment(em, 'pi_1', ['default']))).toBe('o3');
    expect(await t.db.transaction((em) => t.app.get(OrdersService).orderIdOfPayment(em, 'pi_2', ['default']))).toBeUndefined();
  });

  it('keeps a line without a SKU on the order; it reserves nothing and nothing moves for it', async () => {
    const [created] = await apply([create('o4', [{ sku: null, quantity: 3 }, { sku: 'A', quantity: 1 }])]);
    expect(created).toEqual({ result: 'applied', reason: null, status: 'pending' });
    expect(await t.db.query(`SELECT sku, quantity FROM order_lines WHERE order_id = 'o4' ORDER BY line_no`)).toEqual([
      { sku: null, quantity: 3 },
      { sku: 'A', quantity: 1 },
    ]);
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 10, reserved: 1 });
    await apply([lifecycle('o4', 'payment_succeeded')], [lifecycle('o4', 'order_fulfilled')]);
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 9, reserved: 0 });
    // An order of lines without SKUs alone is granted: it asks for no stock.
    expect(await apply([create('o5', [{ sku: null, quantity: 1 }])])).toEqual([{ result: 'applied', reason: null, status: 'pending' }]);
    expect(await ledgerMismatches(t.db)).toEqual([]);
  });

  it('releases returned units of an unshipped order, and later moves only what it still holds', async () => {
    await apply([create('o6', [{ sku: 'A', quantity: 3 }, { sku: 'B', quantity: 2 }, { sku: 'A', quantity: 1 }])], [lifecycle('o6', 'payment_succeeded')]);
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 10, reserved: 4 });
    // More of A than the order holds comes back as what it holds; C it never held.
    expect(await apply([returns('o6', [{ sku: 'A', quantity: 3 }, { sku: 'C', quantity: 1 }])])).toEqual([{ result: 'applied', reason: null, status: 'paid' }]);
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 10, reserved: 1 });
    // units given up before shipping leave the quantity (returned counts shipped units that came back)
    expect(await t.db.query(`SELECT line_no, quantity, returned_quantity FROM order_lines WHERE order_id = 'o6' ORDER BY line_no`)).toEqual([
      { line_no: 1, quantity: 0, returned_quantity: 0 },
      { line_no: 2, quantity: 2, returned_quantity: 0 },
      { line_no: 3, quantity: 1, returned_quantity: 0 },
    ]);
    expect(await apply([returns('o6', [{ sku: 'A', quantity: 5 }])])).toEqual([{ result: 'applied', reason: null, status: 'paid' }]);
    expect(await apply([returns('o6', [{ sku: 'A', quantity: 1 }])])).toEqual([{ result: 'ignored', reason: 'nothing_left_to_return', status: 'paid' }]);
    // Fulfilment ships what is left: B alone.
    await apply([lifecycle('o6', 'order_fulfilled')]);
    expect([await stockOf(t.db, 'A'), await stockOf(t.db, 'B')]).toEqual([
      { on_hand: 10, reserved: 0 },
      { on_hand: 8, reserved: 0 },
    ]);
    expect(await ledgerMismatches(t.db)).toEqual([]);
  });

  it('restocks returned units of a shipped order, and a refund with restock then moves only the rest', async () => {
    await apply([create('o7', [{ sku: 'A', quantity: 4 }]), lifecycle('o7', 'payment_succeeded')], [lifecycle('o7', 'order_fulfilled')]);
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 6, reserved: 0 });
    await apply([returns('o7', [{ sku: 'A', quantity: 1 }])]);
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 7, reserved: 0 });
    await apply([lifecycle('o7', 'order_refunded', { restock: true })]);
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 10, reserved: 0 });
    // A refunded order holds nothing to return.
    expect(await apply([returns('o7', [{ sku: 'A', quantity: 1 }])])).toEqual([
      { result: 'ignored', reason: 'no_units_to_return: refunded order', status: 'refunded' },
    ]);
    expect(await ledgerMismatches(t.db)).toEqual([]);
  });

  describe('flags, as the state machine decides them', () => {
    /** The reasons orders were flagged with, in order: the attention items the state machine's decisions raised. */
    const flags = async () =>
      (await t.db.query<{ order_id: string; reason: string }[]>(`SELECT order_id, reason FROM order_attention ORDER BY id`)).map((r) => [r.order_id, r.reason]);

    it('cancels a paid order, releasing its units, and flags it cancelled_after_payment', async () => {
      await apply([create('o9', [{ sku: 'A', quantity: 2 }]), lifecycle('o9', 'payment_succeeded')]);
      expect(await apply([lifecycle('o9', 'order_cancelled')])).toEqual([{ result: 'applied', reason: null, status: 'cancelled' }]);
      expect(await flags()).toEqual([['o9', 'cancelled_after_payment']]);
      expect(await orderRow('o9')).toMatchObject({ status: 'cancelled', needs_attention: true });
      expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 10, reserved: 0 });
    });

    it('flags a disputed order and changes nothing else: no status change, no history row, no stock movement', async () => {
      await apply([create('o10', [{ sku: 'A', quantity: 2 }])]);
      expect(await apply([lifecycle('o10', 'dispute_opened')], [lifecycle('o10', 'dispute_lost')])).toEqual([
        { result: 'applied', reason: null, status: 'pending' },
        { result: 'applied', reason: null, status: 'pending' },
      ]);
      expect(await flags()).toEqual([
        ['o10', 'dispute_opened'],
        ['o10', 'dispute_lost'],
      ]);
      expect(await orderRow('o10')).toEqual({ status: 'pending', needs_attention: true, payment_id: null });
      expect(await count(t.db, 'order_status_history', `order_id = 'o10'`)).toBe(1);
      expect(await count(t.db, 'stock_movements', `order_id = 'o10'`)).toBe(1);
      // an order not known yet: the dispute waits for it
      expect(await apply([lifecycle('o11', 'dispute_opened')])).toEqual([{ result: 'deferred', reason: 'order_not_found', status: undefined }]);
    });
  });

  it('waits with returned units for an order not known yet', async () => {
    expect(await apply([returns('o8', [{ sku: 'A', quantity: 1 }])])).toEqual([{ result: 'deferred', reason: 'order_not_found' }]);
  });
});
