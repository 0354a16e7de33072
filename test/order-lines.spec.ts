import { beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { OrderCommand } from '../src/orders/order-commands.js';
import { OrdersService } from '../src/orders/orders.service.js';
import { ReservationSweeper } from '../src/orders/reservation-sweeper.js';
import { ledgerMismatches, lineLedgerBreaches, resetDatabase, seedStock, stockOf } from './support/database.js';
import { admin, deliver, newOrderEvent, useTestApp } from './support/test-app.js';

/**
 * Lines are the unit of stock truth (issue 23, part 1): through every status
 * an order can reach, each line's counters are what the ledger rows naming
 * it say, an order's reserved units are its lines', and a SKU's reserved is
 * what the lines naming it hold. Deliveries go through the service; returned
 * units (a partial refund) through OrdersService's return_units command.
 */
describe('order lines hold the stock', () => {
  const t = useTestApp({ RESERVATION_TTL: '1m' });
  // The service's own sweeper would expire the aged order at its next period: the test sweeps itself.
  beforeAll(() => t.app.get(ReservationSweeper).beforeApplicationShutdown());
  beforeEach(async () => {
    await resetDatabase(t.db);
    await seedStock(t.db, { A: 10, B: 10 });
  });

  let sequence = 0;
  const send = async (event: string, orderId: string, data: Record<string, unknown> = {}) => {
    sequence += 1;
    const res = await deliver(t.url, JSON.stringify({ id: `evt-${event}-${orderId}-${sequence}`, event, data: { order_id: orderId, ...data } }));
    expect(res.body).toMatchObject({ status: 'processed' });
  };
  /** Two lines of A (so that units spread over them) and one of B. */
  const ITEMS = [{ sku: 'A', quantity: 2 }, { sku: 'B', quantity: 1 }, { sku: 'A', quantity: 1 }];
  const order = async (orderId: string, items = ITEMS) => {
    const res = await deliver(t.url, newOrderEvent({ id: `new-${orderId}`, orderId, items }));
    expect(res.status).toBe(200);
    return res.body.order_status as string;
  };
  /** Units come back (a partial refund with restock), as a gateway's refund asks: OrdersService's return_units. */
  const returns = async (orderId: string, lines: { sku: string; quantity: number }[]) => {
    const [{ id }] = await t.db.query(`SELECT max(id)::text AS id FROM webhook_events`);
    const command: OrderCommand = { kind: 'return_units', orderId, lines };
    const [outcome] = await t.db.transaction((em) =>
      t.app.get(OrdersService).apply(em, [{ commands: [command], cause: { source: 'default', orderSources: ['default'], webhookEventId: id } }]),
    );
    expect(outcome.result).toBe('applied');
  };
  /** Each line of the order as GET /orders/:order_id shows it: [reserved, fulfilled, returned]. */
  const lines = async (orderId: string) => {
    const res = await admin(t.url, 'GET', `/orders/${orderId}`);
    return (res.body.items as { reserved_quantity: number; fulfilled_quantity: number; returned_quantity: number }[]).map((i) => [
      i.reserved_quantity,
      i.fulfilled_quantity,
      i.returned_quantity,
    ]);
  };
  const status = async (orderId: string) => (await admin(t.url, 'GET', `/orders/${orderId}`)).body.status as string;

  /** The invariants of lines and ledger, over every order, line and SKU there is (lineLedgerBreaches). */
  async function linesHoldTheStock(): Promise<void> {
    expect(await lineLedgerBreaches(t.db)).toEqual({ rowsWithoutTheirLine: [], orders: [], lines: [], skus: [] });
    expect(await ledgerMismatches(t.db)).toEqual([]);
  }

  /** Each line's returned units are its shipped units that came back: its restocks in the ledger. */
  async function returnedMatches(orderId: string): Promise<void> {
    const rows = await t.db.query(
      `SELECT l.returned_quantity, coalesce(sum(m.on_hand_delta) FILTER (WHERE m.kind = 'restock'), 0)::int AS restocked
         FROM order_lines l LEFT JOIN stock_movements m USING (order_source, order_id, line_no)
        WHERE l.order_id = $1 GROUP BY l.line_no, l.returned_quantity ORDER BY l.line_no`,
      [orderId],
    );
    for (const row of rows as { returned_quantity: number; restocked: number }[]) expect(row.returned_quantity).toBe(row.restocked);
  }
  /** Each line's quantity: what the order still asks for of it. */
  const quantities = async (orderId: string) =>
    ((await admin(t.url, 'GET', `/orders/${orderId}`)).body.items as { quantity: number }[]).map((i) => i.quantity);

  it('pending, payment_failed, paid, a return before shipping, fulfilled, a return after it, refunded with restock', async () => {
    expect(await order('o')).toBe('pending');
    expect(await lines('o')).toEqual([[2, 0, 0], [1, 0, 0], [1, 0, 0]]);
    await linesHoldTheStock();

    await send('payment_failed', 'o');
    expect(await lines('o')).toEqual([[2, 0, 0], [1, 0, 0], [1, 0, 0]]);
    await linesHoldTheStock();

    await send('payment_succeeded', 'o');
    expect(await status('o')).toBe('paid');
    await linesHoldTheStock();

    // Two units of A come back before shipping: the first line's, released, and no longer ordered (its quantity, not returned).
    await returns('o', [{ sku: 'A', quantity: 2 }]);
    expect(await lines('o')).toEqual([[0, 0, 0], [1, 0, 0], [1, 0, 0]]);
    expect(await quantities('o')).toEqual([0, 1, 1]);
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 10, reserved: 1 });
    await linesHoldTheStock();
    await returnedMatches('o');

    await send('order_fulfilled', 'o');
    expect(await lines('o')).toEqual([[0, 0, 0], [0, 1, 0], [0, 1, 0]]);
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 9, reserved: 0 });
    await linesHoldTheStock();

    // One A after shipping: the first line shipped none, so the third line's comes back on hand.
    await returns('o', [{ sku: 'A', quantity: 1 }]);
    expect(await lines('o')).toEqual([[0, 0, 0], [0, 1, 0], [0, 1, 1]]);
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 10, reserved: 0 });
    await linesHoldTheStock();

    // The refund with restock brings back what is still out: B's unit.
    await send('order_refunded', 'o', { restock: true });
    expect(await lines('o')).toEqual([[0, 0, 0], [0, 1, 1], [0, 1, 1]]);
    expect(await stockOf(t.db, 'B')).toEqual({ on_hand: 10, reserved: 0 });
    await linesHoldTheStock();
    await returnedMatches('o');
  });

  it('fulfilled, then refunded without restock: the shipped units stay shipped', async () => {
    await order('o');
    await send('payment_succeeded', 'o');
    await send('order_fulfilled', 'o');
    expect(await lines('o')).toEqual([[0, 2, 0], [0, 1, 0], [0, 1, 0]]);
    await linesHoldTheStock();
    await send('order_refunded', 'o');
    expect(await status('o')).toBe('refunded');
    expect(await lines('o')).toEqual([[0, 2, 0], [0, 1, 0], [0, 1, 0]]);
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 7, reserved: 0 });
    await linesHoldTheStock();
  });

  it('refunded from paid releases every line', async () => {
    await order('o');
    await send('payment_succeeded', 'o');
    await send('order_refunded', 'o', { restock: true });
    expect(await status('o')).toBe('refunded');
    expect(await lines('o')).toEqual([[0, 0, 0], [0, 0, 0], [0, 0, 0]]);
    await linesHoldTheStock();
    await returnedMatches('o');
  });

  it.each([['pending'], ['payment_failed'], ['paid']])('cancelled from %s releases what each line holds, after a return too', async (from) => {
    await order('o');
    if (from === 'payment_failed') await send('payment_failed', 'o');
    if (from === 'paid') await send('payment_succeeded', 'o');
    await returns('o', [{ sku: 'A', quantity: 1 }]);
    expect(await lines('o')).toEqual([[1, 0, 0], [1, 0, 0], [1, 0, 0]]);
    expect(await quantities('o')).toEqual([1, 1, 1]);
    await linesHoldTheStock();
    await send('order_cancelled', 'o');
    expect(await status('o')).toBe('cancelled');
    expect(await lines('o')).toEqual([[0, 0, 0], [0, 0, 0], [0, 0, 0]]);
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 10, reserved: 0 });
    await linesHoldTheStock();
    await returnedMatches('o');
  });

  it('rejected: no line holds anything and no ledger row names it', async () => {
    expect(await order('short', [{ sku: 'A', quantity: 1 }, { sku: 'B', quantity: 11 }])).toBe('rejected');
    expect(await lines('short')).toEqual([[0, 0, 0], [0, 0, 0]]);
    expect(await t.db.query(`SELECT id FROM stock_movements WHERE order_id = 'short'`)).toEqual([]);
    await linesHoldTheStock();
  });

  it('reservation expired: every line released', async () => {
    await order('o');
    await t.db.query(`UPDATE orders SET created_at = now() - interval '10 minutes' WHERE order_id = 'o'`);
    const { expired } = await t.db.transaction((em) => t.app.get(OrdersService).expireReservations(em, 60_000, 10));
    expect(expired).toEqual([{ source: 'default', orderId: 'o' }]);
    expect(await lines('o')).toEqual([[0, 0, 0], [0, 0, 0], [0, 0, 0]]);
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 10, reserved: 0 });
    await linesHoldTheStock();
  });

  it('orders created together (group commit) each reserve line by line', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `g${i}`);
    const statuses = await Promise.all(ids.map((id) => order(id)));
    // A is 10 units, 3 an order: three orders are granted, the rest short.
    expect(statuses.filter((s) => s === 'pending')).toHaveLength(3);
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 10, reserved: 9 });
    await linesHoldTheStock();
  });
});

/** The line rule itself (move_order_lines.sql), called directly: what each kind does to a line's counters and stock. */
describe('shelfsync_move_order_lines', () => {
  const t = useTestApp();
  beforeEach(async () => {
    await resetDatabase(t.db);
    await seedStock(t.db, { A: 10 });
    await t.db.query(`INSERT INTO orders (source, order_id, status, customer_name, total_amount, currency) VALUES ('default', 'o', 'paid', 'C', 1, 'USD')`);
    await t.db.query(`INSERT INTO order_lines (order_source, order_id, line_no, sku, quantity) VALUES ('default', 'o', 1, 'A', 3), ('default', 'o', 2, NULL, 1)`);
  });
  const DELTAS = JSON.stringify({ reserve: { on_hand: 0, reserved: 1 }, release: { on_hand: 0, reserved: -1 }, commit: { on_hand: -1, reserved: -1 }, restock: { on_hand: 1, reserved: 0 } });
  const move = async (kind: string, units: number, returned = false): Promise<unknown> =>
    (
      await t.db.query(`SELECT written, refused FROM shelfsync_move_order_lines($1::jsonb, $2::jsonb)`, [
        JSON.stringify([{ order_source: 'default', order_id: 'o', line_no: 1, kind, units, returned }]),
        DELTAS,
      ])
    )[0];
  const line = async (): Promise<unknown> =>
    (await t.db.query(`SELECT quantity AS q, reserved_quantity AS r, fulfilled_quantity AS f, returned_quantity AS ret FROM order_lines WHERE order_id = 'o' AND line_no = 1`))[0];

  it('reserve adds to reserved; a returned release takes the units off the quantity; commit to fulfilled; restock adds to returned; each with its ledger row', async () => {
    expect(await move('reserve', 3)).toEqual({ written: 1, refused: [] });
    expect(await line()).toEqual({ q: 3, r: 3, f: 0, ret: 0 });
    await move('release', 1, true);
    expect(await line()).toEqual({ q: 2, r: 2, f: 0, ret: 0 });
    await move('commit', 2);
    expect(await line()).toEqual({ q: 2, r: 0, f: 2, ret: 0 });
    await move('restock', 1);
    expect(await line()).toEqual({ q: 2, r: 0, f: 2, ret: 1 });
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 9, reserved: 0 });
    expect(await t.db.query(`SELECT kind::text, line_no, on_hand_delta, reserved_delta FROM stock_movements WHERE order_id = 'o' ORDER BY id`)).toEqual([
      { kind: 'reserve', line_no: 1, on_hand_delta: 0, reserved_delta: 3 },
      { kind: 'release', line_no: 1, on_hand_delta: 0, reserved_delta: -1 },
      { kind: 'commit', line_no: 1, on_hand_delta: -2, reserved_delta: -2 },
      { kind: 'restock', line_no: 1, on_hand_delta: 1, reserved_delta: 0 },
    ]);
  });

  it('a release not marked returned (a cancellation) leaves returned alone', async () => {
    await move('reserve', 3);
    await move('release', 3);
    expect(await line()).toEqual({ q: 3, r: 0, f: 0, ret: 0 });
  });

  it('leaves the line as it was when the stock guard refuses, and refuses a move past what the line holds', async () => {
    expect(await move('release', 1)).toEqual({ written: 0, refused: [expect.objectContaining({ sku: 'A', refusal: 'reserved_below_zero' })] });
    expect(await line()).toEqual({ q: 3, r: 0, f: 0, ret: 0 });
    await t.db.query(`UPDATE stock SET reserved = 5 WHERE sku = 'A'`);
    await expect(move('release', 1)).rejects.toThrow(/order_lines_reserved_quantity_check/);
    await expect(move('reserve', 4)).rejects.toThrow(/order_lines_held_check/);
    await expect(
      t.db.query(`SELECT * FROM shelfsync_move_order_lines($1::jsonb, $2::jsonb)`, [
        JSON.stringify([{ order_source: 'default', order_id: 'o', line_no: 2, kind: 'reserve', units: 1 }]),
        DELTAS,
      ]),
    ).rejects.toThrow(/no SKU/);
  });
});
