import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { resetDatabase, seedStock } from './support/database.js';
import { checkWithinBudget } from './support/property.js';
import { deliver, useTestApp } from './support/test-app.js';

const SKUS = ['P1', 'P2', 'P3'];
/** Two lifecycles an order may follow (a prefix of one), each ending the same in any arrival order. */
const LIFECYCLES = {
  shipped: ['new_order', 'payment_succeeded', 'order_fulfilled', 'order_refunded'],
  cancelled: ['new_order', 'payment_failed', 'payment_succeeded', 'order_cancelled'],
};

/**
 * An order and how far its lifecycle goes. A refund that takes the units
 * back (restock) ends the same whether it lands before or after the
 * fulfilment. One that does not restock does not, and rightly: refunded while
 * only paid, nothing shipped; refunded after shipping, the units are gone.
 * So refunds here restock, and every arrival order has one right end state.
 */
const orderArb = fc.record({
  sku: fc.constantFrom(...SKUS),
  quantity: fc.integer({ min: 1, max: 3 }),
  steps: fc.integer({ min: 1, max: 4 }),
  restock: fc.constant(true),
  path: fc.constantFrom<keyof typeof LIFECYCLES>('shipped', 'cancelled'),
});

/** Each order's events, in lifecycle order (a prefix of it). */
function eventsOf(orders: { sku: string; quantity: number; steps: number; restock: boolean; path: keyof typeof LIFECYCLES }[]): string[][] {
  return orders.map((o, i) =>
    LIFECYCLES[o.path].slice(0, o.steps).map((event) =>
      JSON.stringify({
        id: `p${i}-${event}`,
        event,
        data:
          event === 'new_order'
            ? { order_id: `p${i}`, customer_name: 'P', total_amount: 1, items: [{ sku: o.sku, quantity: o.quantity }] }
            : { order_id: `p${i}`, restock: o.restock },
      }),
    ),
  );
}

/** Up to 30 runs, and no fewer than 10 even on a slow machine. */
const BUDGET = { runs: 30, minRuns: 10, budgetMs: 25_000 };

describe('the delivery pipeline, as a property', () => {
  const t = useTestApp();

  async function state() {
    return {
      orders: await t.db.query(`SELECT order_id, status, needs_attention FROM orders ORDER BY order_id`),
      stock: await t.db.query(`SELECT sku, on_hand, reserved FROM stock ORDER BY sku`),
      // How many events were kept (each once, whichever copy came first and under whatever id it
      // claimed), not their outcomes: a fulfilment that lands after a refund is ignored where in
      // lifecycle order it applied; the order's path differs, not where it ends.
      events: (await t.db.query(`SELECT count(*)::int AS n FROM webhook_events`))[0].n as number,
      ledger: await t.db.query(
        `SELECT order_id, sum(on_hand_delta)::int AS on_hand, sum(reserved_delta)::int AS reserved
           FROM stock_movements WHERE order_id IS NOT NULL GROUP BY order_id ORDER BY order_id`,
      ),
    };
  }

  async function fresh(): Promise<void> {
    await resetDatabase(t.db);
    await seedStock(t.db, Object.fromEntries(SKUS.map((sku) => [sku, 1_000])));
  }

  it('ends any interleaving with duplicates, reordering and concurrency where a sequential, duplicate-free run ends', async () => {
    await checkWithinBudget(
      (track) =>
        fc.asyncProperty(
          fc.array(orderArb, { minLength: 1, maxLength: 10 }),
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 3 })), { minLength: 40, maxLength: 40 }),
          fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 40, maxLength: 40 }),
          (orders, shuffle, batchSizes) =>
            track(async () => {
              const perOrder = eventsOf(orders);

              await fresh();
              for (const body of perOrder.flat()) expect((await deliver(t.url, body)).status).toBe(200);
              const sequential = await state();

              // The same events, each one to three times, in a random order, in concurrent batches.
              const copies = perOrder
                .flat()
                .flatMap((body, i) => Array.from({ length: shuffle[i % shuffle.length][1] }, (_, c) => ({ body, key: shuffle[(i + c * 7) % shuffle.length][0] + c })))
                .sort((a, b) => a.key - b.key)
                .map((x) => x.body);
              await fresh();
              for (let i = 0, b = 0; i < copies.length; b++) {
                const size = batchSizes[b % batchSizes.length];
                // Some copies come back under a fresh webhook-id header, as a replayed capture would: still one event.
                const answers = await Promise.all(
                  copies.slice(i, i + size).map((body, k) => deliver(t.url, body, (i + k) % 5 === 4 ? { headers: { 'webhook-id': `replay-${i + k}` } } : {})),
                );
                expect(answers.every((a) => a.status === 200)).toBe(true);
                i += size;
              }
              expect(await state()).toEqual(sequential);
            }),
        ),
      BUDGET,
    );
  }, BUDGET.budgetMs + 30_000);
});
