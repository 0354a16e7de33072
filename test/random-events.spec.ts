import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { decide, isLifecycleEvent } from '../src/orders/order-state-machine.js';
import type { OrderStatus } from '../src/orders/order-status.js';
import { ledgerMismatches, resetDatabase, seedStock } from './support/database.js';
import { checkWithinBudget } from './support/property.js';
import { deliver, useTestApp } from './support/test-app.js';

const SKUS = ['S1', 'S2', 'S3', 'S4', 'S5'];
// Few orders for many deliveries, so that each order meets many of its events, in many orders.
const ORDERS = Array.from({ length: 8 }, (_, i) => `r${i}`);
const LIFECYCLE = ['payment_succeeded', 'payment_failed', 'order_cancelled', 'order_fulfilled', 'order_refunded'];

/** One gateway delivery: a fresh event, or an exact redelivery of an earlier one. */
const delivery = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      event: fc.constant('new_order'),
      order: fc.constantFrom(...ORDERS),
      items: fc.array(fc.record({ sku: fc.constantFrom(...SKUS), quantity: fc.integer({ min: 1, max: 6 }) }), {
        minLength: 1,
        maxLength: 2,
      }),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      event: fc.constantFrom(...LIFECYCLE),
      order: fc.constantFrom(...ORDERS),
      restock: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ event: fc.constant('customer_waved'), order: fc.constantFrom(...ORDERS) }) },
  { weight: 2, arbitrary: fc.record({ redeliver: fc.nat() }) },
);

type Delivery = { event: string; order: string; items?: { sku: string; quantity: number }[]; restock?: boolean } | { redeliver: number };

function bodies(deliveries: Delivery[]): string[] {
  const sent: string[] = [];
  deliveries.forEach((d, i) => {
    if ('redeliver' in d) {
      if (sent.length) sent.push(sent[d.redeliver % sent.length]);
      return;
    }
    const data =
      d.event === 'new_order'
        ? { order_id: d.order, customer_name: 'R', total_amount: 1, items: d.items }
        : { order_id: d.order, restock: d.restock };
    sent.push(JSON.stringify({ id: `rnd-${i}`, event: d.event, data }));
  });
  return sent;
}

/**
 * Many short runs rather than a couple of long ones: each is a new sequence
 * and new timings, so a bug that needs one interleaving among many gets many
 * chances to meet it.
 */
const BUDGET = { runs: 60, minRuns: 15, budgetMs: 20_000 };

describe('randomised runs of mixed deliveries', () => {
  const t = useTestApp();

  /** One run: fresh stock, the deliveries `width` at a time in the generated order, then every invariant. */
  async function run(deliveries: Delivery[], width: number): Promise<void> {
    await resetDatabase(t.db);
    await seedStock(t.db, Object.fromEntries(SKUS.map((sku) => [sku, 12])));
    const sent = bodies(deliveries);

    // Real parallel requests, `width` at a time, in the generated order.
    const statuses: number[] = [];
    for (let i = 0; i < sent.length; i += width) {
      const answers = await Promise.all(sent.slice(i, i + width).map((body) => deliver(t.url, body)));
      statuses.push(...answers.map((a) => a.status));
    }
    expect(statuses.filter((s) => s !== 200)).toEqual([]);

    expect(await ledgerMismatches(t.db)).toEqual([]);

    // Units reserved per SKU are exactly those of the orders that still hold them.
    const held = await t.db.query(`
      SELECT s.sku, s.reserved, coalesce(sum(l.quantity) FILTER (WHERE o.status IN ('pending', 'paid', 'payment_failed')), 0)::int AS open
        FROM stock s LEFT JOIN order_lines l ON l.sku = s.sku LEFT JOIN orders o ON o.order_id = l.order_id
       GROUP BY s.sku, s.reserved`);
    for (const row of held) expect(row).toEqual({ sku: row.sku, reserved: row.open, open: row.open });

    // No event moved a line's stock twice (an order naming a SKU on two lines has a row for each).
    const twice = await t.db.query(`
      SELECT webhook_event_id, sku, kind, order_source, order_id, line_no FROM stock_movements WHERE webhook_event_id IS NOT NULL
       GROUP BY webhook_event_id, sku, kind, order_source, order_id, line_no HAVING count(*) > 1`);
    expect(twice).toEqual([]);

    // Each event id is kept once, and no deferred event waits for a status its order already has.
    const distinct = new Set(sent.map((b) => (JSON.parse(b) as { id: string }).id));
    const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM webhook_events`);
    expect(n).toBe(distinct.size);
    const waiting: { event_type: string; status: OrderStatus | null }[] = await t.db.query(`
      SELECT e.event_type, o.status FROM webhook_events e LEFT JOIN orders o USING (order_id) WHERE e.status = 'deferred'`);
    for (const w of waiting) {
      if (w.status && isLifecycleEvent(w.event_type)) expect(decide(w.status, w.event_type, { restock: false }).kind).toBe('defer');
    }
  }

  it('keeps every invariant: ledger equals counters, reservations match open orders, each event applied once', async () => {
    await checkWithinBudget(
      (track) =>
        fc.asyncProperty(fc.array(delivery, { minLength: 20, maxLength: 120 }), fc.integer({ min: 1, max: 16 }), (deliveries, width) =>
          track(() => run(deliveries, width)),
        ),
      BUDGET,
    );
  }, BUDGET.budgetMs + 30_000);
});
