import { createHmac } from 'node:crypto';
import type { DataSource } from 'typeorm';
import pg from 'pg';

export const SECRET = 'fault-suite-secret';

export function signedHeaders(body: string | Buffer): Record<string, string> {
  return { 'content-type': 'application/json', 'x-signature': createHmac('sha256', SECRET).update(body).digest('hex') };
}

export interface Ack {
  status: number;
  body: string;
  attempts: number;
}

/**
 * A gateway: posts until the event is acknowledged with a 2xx, retrying
 * connection errors, timeouts and 5xx with a short back-off, as real
 * gateways do. A 4xx is final and is returned (a test expects none).
 */
export async function deliverUntilAcknowledged(
  baseUrl: () => string,
  body: string,
  options: { deadlineMs?: number; seen?: Map<number | string, number> } = {},
): Promise<Ack> {
  const until = Date.now() + (options.deadlineMs ?? 120_000);
  for (let attempts = 1; ; attempts++) {
    let outcome: number | string;
    try {
      const response = await fetch(`${baseUrl()}/webhooks`, {
        method: 'POST',
        headers: signedHeaders(body),
        body,
        signal: AbortSignal.timeout(15_000),
      });
      const text = await response.text();
      outcome = response.status;
      options.seen?.set(outcome, (options.seen.get(outcome) ?? 0) + 1);
      if (response.status < 500) return { status: response.status, body: text, attempts };
    } catch (error) {
      outcome = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      options.seen?.set(outcome, (options.seen.get(outcome) ?? 0) + 1);
    }
    if (Date.now() > until) throw new Error(`not acknowledged after ${attempts} attempts (last: ${outcome}): ${body}`);
    await new Promise((resolve) => setTimeout(resolve, 25 + Math.random() * 100 * Math.min(attempts, 5)));
  }
}

/** Runs `work` over `items` with at most `concurrency` at a time. */
export async function inParallel<T, R>(items: T[], concurrency: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index]);
      }
    }),
  );
  return results;
}

export type Stage = 'pending' | 'paid' | 'fulfilled' | 'refunded';
const LIFECYCLE = ['new_order', 'payment_succeeded', 'order_fulfilled', 'order_refunded'] as const;
const STAGE_AFTER: Stage[] = ['pending', 'paid', 'fulfilled', 'refunded'];

export interface PlannedOrder {
  orderId: string;
  sku: string;
  quantity: number;
  /** How far its lifecycle goes: 1 (new_order only) to 4 (refunded with restock). */
  steps: number;
}

/**
 * A workload whose end state does not depend on arrival order: each order
 * gets a prefix of new_order, payment_succeeded, order_fulfilled,
 * order_refunded (restock), so whatever order they land in, it ends at the
 * same status with the same stock.
 */
export function planWorkload(orders: number, skus: string[], seed = 1): { plan: PlannedOrder[]; bodies: string[] } {
  let state = seed;
  const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const plan: PlannedOrder[] = Array.from({ length: orders }, (_, i) => ({
    orderId: `f${i}`,
    sku: skus[Math.floor(random() * skus.length)],
    quantity: 1 + Math.floor(random() * 3),
    steps: 1 + Math.floor(random() * 4),
  }));
  const bodies = plan.flatMap((o) =>
    LIFECYCLE.slice(0, o.steps).map((event) =>
      JSON.stringify({
        id: `${o.orderId}-${event}`,
        event,
        data:
          event === 'new_order'
            ? { order_id: o.orderId, customer_name: 'Fault', total_amount: 1, items: [{ sku: o.sku, quantity: o.quantity }] }
            : { order_id: o.orderId, restock: true },
      }),
    ),
  );
  // Shuffled: lifecycle events routinely arrive before their order.
  for (let i = bodies.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [bodies[i], bodies[j]] = [bodies[j], bodies[i]];
  }
  return { plan, bodies };
}

export interface Exactness {
  events: number;
  failedOrDeferred: number;
  wrongStatus: string[];
  stock: { sku: string; on_hand: number; reserved: number; expected_on_hand: number; expected_reserved: number }[];
  ledgerMismatches: number;
  movementsTwice: number;
}

/** Compares what the database holds with what the plan must have produced, applied exactly once. */
export async function checkExactness(url: string, plan: PlannedOrder[], onHand: number): Promise<Exactness> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const statuses = new Map(
      (await client.query<{ order_id: string; status: string }>(`SELECT order_id, status FROM orders`)).rows.map((r) => [r.order_id, r.status]),
    );
    const wrongStatus = plan
      .filter((o) => statuses.get(o.orderId) !== STAGE_AFTER[o.steps - 1])
      .map((o) => `${o.orderId}: ${statuses.get(o.orderId)} instead of ${STAGE_AFTER[o.steps - 1]}`);
    const expected = new Map<string, { on_hand: number; reserved: number }>();
    for (const o of plan) {
      const e = expected.get(o.sku) ?? { on_hand: onHand, reserved: 0 };
      if (o.steps <= 2) e.reserved += o.quantity;
      if (o.steps === 3) e.on_hand -= o.quantity;
      expected.set(o.sku, e);
    }
    const rows = (await client.query<{ sku: string; on_hand: number; reserved: number }>(`SELECT sku, on_hand, reserved FROM stock`)).rows;
    const stock = rows
      .map((r) => ({
        ...r,
        expected_on_hand: expected.get(r.sku)?.on_hand ?? onHand,
        expected_reserved: expected.get(r.sku)?.reserved ?? 0,
      }))
      .filter((r) => r.on_hand !== r.expected_on_hand || r.reserved !== r.expected_reserved);
    const one = async (sql: string) => Number((await client.query<{ n: string }>(sql)).rows[0].n);
    return {
      events: await one(`SELECT count(*) AS n FROM webhook_events`),
      failedOrDeferred: await one(`SELECT count(*) AS n FROM webhook_events WHERE status IN ('failed', 'deferred')`),
      wrongStatus,
      stock,
      ledgerMismatches: await one(`
        SELECT count(*) AS n FROM stock s
          LEFT JOIN (SELECT sku, sum(on_hand_delta) AS o, sum(reserved_delta) AS r FROM stock_movements GROUP BY sku) m USING (sku)
         WHERE s.on_hand <> coalesce(m.o, 0) OR s.reserved <> coalesce(m.r, 0)`),
      movementsTwice: await one(`
        SELECT count(*) AS n FROM (SELECT 1 FROM stock_movements WHERE webhook_event_id IS NOT NULL
         GROUP BY webhook_event_id, sku, kind HAVING count(*) > 1) t`),
    };
  } finally {
    await client.end();
  }
}

export async function seedSkus(url: string, skus: string[], onHand: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const sku of skus) {
      await client.query(`INSERT INTO stock (sku, on_hand) VALUES ($1, $2)`, [sku, onHand]);
      await client.query(`INSERT INTO stock_movements (sku, kind, on_hand_delta, reserved_delta, reason) VALUES ($1, 'adjust', $2, 0, 'seed')`, [sku, onHand]);
    }
  } finally {
    await client.end();
  }
}

export type { DataSource };
