import { createHmac } from 'node:crypto';
import type { DataSource } from 'typeorm';
import pg from 'pg';
import { lineLedgerBreaches } from '../support/database.js';
import {
  type Delivery,
  nativeSourcesEnv,
  SHOPIFY_STEPS,
  shopifyDelivery,
  type ShopifyOp,
  shopifyOrderSequence,
  type ShopifyStep,
  wooDelivery,
  type WooStep,
} from '../support/native-deliveries.js';

export const SECRET = 'fault-suite-secret';

export function signedHeaders(body: string | Buffer): Record<string, string> {
  return { 'content-type': 'application/json', 'x-signature': createHmac('sha256', SECRET).update(body).digest('hex') };
}

export interface Ack {
  status: number;
  body: string;
  attempts: number;
}

/** An envelope delivery to POST /webhooks, signed with the suite's secret. */
export function envelopeDelivery(label: string, body: string): Delivery {
  return { label, path: '/webhooks', body, headers: () => signedHeaders(body) };
}

/**
 * A gateway: posts until the event is acknowledged with a 2xx, retrying
 * connection errors, timeouts and 5xx with a short back-off, as real
 * gateways do. A 4xx is final and is returned (a test expects none). Each
 * attempt goes to the delivery's path with the headers it gives then.
 */
export async function deliverUntilAcknowledged(
  baseUrl: () => string,
  delivery: Delivery,
  options: { deadlineMs?: number; seen?: Map<number | string, number>; onAnswer?: (status: number, body: string) => void } = {},
): Promise<Ack> {
  const until = Date.now() + (options.deadlineMs ?? 120_000);
  for (let attempts = 1; ; attempts++) {
    let outcome: number | string;
    try {
      const response = await fetch(`${baseUrl()}${delivery.path}`, {
        method: 'POST',
        headers: delivery.headers(),
        body: delivery.body,
        signal: AbortSignal.timeout(15_000),
      });
      const text = await response.text();
      outcome = response.status;
      options.onAnswer?.(response.status, text);
      options.seen?.set(outcome, (options.seen.get(outcome) ?? 0) + 1);
      if (response.status < 500) return { status: response.status, body: text, attempts };
    } catch (error) {
      outcome = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      options.seen?.set(outcome, (options.seen.get(outcome) ?? 0) + 1);
    }
    if (Date.now() > until) throw new Error(`not acknowledged after ${attempts} attempts (last: ${outcome}): ${delivery.label}`);
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

export type Stage = 'pending' | 'paid' | 'partially_fulfilled' | 'fulfilled' | 'refunded';
/**
 * What an order's end does to its SKU's stock: its units still reserved, shipped (gone from on_hand), or as before the
 * order; or, for an order whose units an edit changed and that ships in parcels, how many are reserved and shipped.
 */
type StockEnd = 'reserved' | 'shipped' | 'untouched' | ((quantity: number) => { reserved: number; shipped: number });

/** The secrets of the suite's native sources (/webhooks/shop speaks shopify, /webhooks/woo woocommerce). */
export const NATIVE_SECRETS = { shopify: 'fault-suite-shopify-secret', woocommerce: 'fault-suite-woo-secret' };
/** The env that gives a service the suite's sources: the envelope on /webhooks, and both native ones. */
export const SOURCES_ENV = { WEBHOOK_SECRET: SECRET, ...nativeSourcesEnv(NATIVE_SECRETS) };

interface PathSpec {
  steps: readonly string[];
  /** Where an order ends after each prefix of its steps (ends[k - 1]: the first k), whatever their arrival order. */
  ends: readonly { status: Stage; stock: StockEnd }[];
}
const PENDING = { status: 'pending', stock: 'reserved' } as const;
const PAID = { status: 'paid', stock: 'reserved' } as const;
const FULFILLED = { status: 'fulfilled', stock: 'shipped' } as const;

/**
 * What happens to a `shopify-edits` order after orders/create of `quantity`
 * + 2 units: an edit down to `quantity` + 1 (orders/updated), paid
 * (orders/paid), a parcel of one unit (fulfillments/create, then
 * orders/partially_fulfilled), a parcel of the rest (fulfillments/create,
 * then orders/fulfilled): every delivery but the fulfillments a version of
 * the whole order, each parcel told again by its id in the later ones.
 * Paid comes only with a version that has the edit, and a parcel waits for
 * paid, so every parcel ships from the edited lines whenever it lands.
 */
const shopifyEditOps = (quantity: number): ShopifyOp[] => [
  { kind: 'quantity', line: 0, quantity: quantity + 1 },
  { kind: 'pay' },
  { kind: 'parcel', units: [1] },
  { kind: 'parcel', units: [1_000] },
];

/**
 * The lifecycles an order of the workload follows, each as a sequence of
 * deliveries any prefix of which ends the same in any arrival order (so the
 * suite can know the end state whatever the faults did to the order of
 * arrival). Per path, and why it is order-independent:
 * - `envelope`: new_order, payment_succeeded, order_fulfilled,
 *   order_refunded with restock. Events that come early are deferred until
 *   their order allows them, and applied in lifecycle order; the refund
 *   restocks, so refunded from paid (release) and from fulfilled (restock)
 *   leave the same stock.
 * - `shopify`: orders/create (pending), orders/paid, orders/fulfilled,
 *   refunds/create of every unit with restock_type return. The refund's
 *   return of the units applies in any status but refunded (released while
 *   reserved, back on hand once shipped) and its refund of the order waits
 *   for paid; a fulfilment after the refund is ignored and commits nothing
 *   (no units left). Either way: refunded, stock as before the order.
 * - `shopify-edits`: the order edited and shipped in two parcels
 *   (shopifyEditOps): versions of the whole order, and the parcels by id.
 * - `woocommerce`: order.created pending, order.updated processing,
 *   order.updated completed (paid then fulfilled, in one delivery). No
 *   refund here: WooCommerce's refunded does not restock, so a refund that
 *   lands while the order is only paid (processing applied, completed not
 *   yet) releases the units, and one after completed leaves them shipped:
 *   created, processing, completed, refunded has two end states.
 * - `woocommerce-refund-after-shipping`: order.created pending, completed,
 *   refunded. Without processing, refunded can only wait on a pending order
 *   (it needs paid, which only completed brings, and completed brings
 *   fulfilled in the same transaction), so it always applies to a fulfilled
 *   order: refunded with the units shipped, not back on hand.
 * - `woocommerce-refund-before-shipping`: order.created pending,
 *   processing, refunded: nothing ships, the refund releases the units.
 */
const PATHS = {
  envelope: {
    steps: ['new_order', 'payment_succeeded', 'order_fulfilled', 'order_refunded'],
    ends: [PENDING, PAID, FULFILLED, { status: 'refunded', stock: 'untouched' }],
  },
  shopify: { steps: SHOPIFY_STEPS, ends: [PENDING, PAID, FULFILLED, { status: 'refunded', stock: 'untouched' }] },
  'shopify-edits': {
    steps: ['orders/create', 'orders/updated', 'orders/paid', 'parcel', 'last parcel'],
    ends: [
      { status: 'pending', stock: (q) => ({ reserved: q + 2, shipped: 0 }) },
      { status: 'pending', stock: (q) => ({ reserved: q + 1, shipped: 0 }) },
      { status: 'paid', stock: (q) => ({ reserved: q + 1, shipped: 0 }) },
      { status: 'partially_fulfilled', stock: (q) => ({ reserved: q, shipped: 1 }) },
      { status: 'fulfilled', stock: (q) => ({ reserved: 0, shipped: q + 1 }) },
    ],
  },
  woocommerce: { steps: ['created', 'processing', 'completed'], ends: [PENDING, PAID, FULFILLED] },
  'woocommerce-refund-after-shipping': {
    steps: ['created', 'completed', 'refunded'],
    ends: [PENDING, FULFILLED, { status: 'refunded', stock: 'shipped' }],
  },
  'woocommerce-refund-before-shipping': {
    steps: ['created', 'processing', 'refunded'],
    ends: [PENDING, PAID, { status: 'refunded', stock: 'untouched' }],
  },
} as const satisfies Record<string, PathSpec>;
export type PathName = keyof typeof PATHS;

export interface PlannedOrder {
  orderId: string;
  path: PathName;
  sku: string;
  quantity: number;
  /** How far its lifecycle goes: 1 (created only) to its path's length. */
  steps: number;
}

/** Where the order must end. */
export function expectedEnd(order: PlannedOrder): { status: Stage; stock: StockEnd } {
  return PATHS[order.path].ends[order.steps - 1];
}

function deliveriesOf(o: PlannedOrder): Delivery[] {
  const steps = PATHS[o.path].steps.slice(0, o.steps);
  if (o.path === 'envelope') {
    return steps.map((event) =>
      envelopeDelivery(
        `${o.orderId}:${event}`,
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
  }
  if (o.path === 'shopify') return steps.map((step) => shopifyDelivery(o, step as ShopifyStep, NATIVE_SECRETS.shopify));
  if (o.path === 'shopify-edits') {
    const ops = shopifyEditOps(o.quantity).slice(0, o.steps - 1);
    return shopifyOrderSequence(o.orderId, [{ sku: o.sku, quantity: o.quantity + 2 }], ops, NATIVE_SECRETS.shopify).deliveries.map(({ delivery }) => delivery);
  }
  return steps.map((step) => wooDelivery(o, step as WooStep, NATIVE_SECRETS.woocommerce, (steps as readonly string[]).includes('completed')));
}

/**
 * A workload whose end state does not depend on arrival order: each order
 * follows a prefix of one of PATHS, so whatever order its deliveries land
 * in, it ends at the same status with the same stock. With `native`, a
 * quarter of the orders go through Shopify and another quarter through
 * WooCommerce (half of them by the plain path, a quarter each by a refund
 * path), as the gateways deliver them; the rest, or all without it, are
 * envelope orders. Native order ids are integers, Shopify's beyond 2^53.
 */
export function planWorkload(
  orders: number,
  skus: string[],
  seed = 1,
  options: { native?: boolean } = {},
): { plan: PlannedOrder[]; deliveries: Delivery[] } {
  let state = seed;
  const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const plan: PlannedOrder[] = Array.from({ length: orders }, (_, i) => {
    const sku = skus[Math.floor(random() * skus.length)];
    const quantity = 1 + Math.floor(random() * 3);
    const which = random();
    const wooPath = random();
    const path: PathName = !options.native || which >= 0.5
      ? 'envelope'
      : which < 0.25
        ? wooPath < 0.5
          ? 'shopify'
          : 'shopify-edits'
        : wooPath < 0.5
          ? 'woocommerce'
          : wooPath < 0.75
            ? 'woocommerce-refund-after-shipping'
            : 'woocommerce-refund-before-shipping';
    const orderId = path === 'envelope' ? `f${i}` : path.startsWith('shopify') ? String(9_007_199_254_740_993n + BigInt(i) * 2n) : String(700_000 + i);
    return { orderId, path, sku, quantity, steps: 1 + Math.floor(random() * PATHS[path].steps.length) };
  });
  const deliveries = plan.flatMap(deliveriesOf);
  // Shuffled: lifecycle events routinely arrive before their order.
  for (let i = deliveries.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [deliveries[i], deliveries[j]] = [deliveries[j], deliveries[i]];
  }
  return { plan, deliveries };
}

/** How many orders of the plan go by each path, for the console. */
export function pathCounts(plan: PlannedOrder[]): string {
  const counts = new Map<string, number>();
  for (const o of plan) counts.set(o.path, (counts.get(o.path) ?? 0) + 1);
  return [...counts].map(([path, n]) => `${path} ${n}`).join(', ');
}

export interface Exactness {
  events: number;
  failedOrDeferred: number;
  wrongStatus: string[];
  stock: { sku: string; on_hand: number; reserved: number; expected_on_hand: number; expected_reserved: number }[];
  ledgerMismatches: number;
  movementsTwice: number;
  /** Where order lines and the ledger disagree (lineLedgerBreaches; every list empty when they agree). */
  lineLedgerBreaches: Awaited<ReturnType<typeof lineLedgerBreaches>>;
}

/** What checkExactness finds when the plan was applied exactly once: `events` events kept, all settled, every check clean. */
export function exact(events: number): Exactness {
  return {
    events,
    failedOrDeferred: 0,
    wrongStatus: [],
    stock: [],
    ledgerMismatches: 0,
    movementsTwice: 0,
    lineLedgerBreaches: { rowsWithoutTheirLine: [], orders: [], lines: [], skus: [] },
  };
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
      .filter((o) => statuses.get(o.orderId) !== expectedEnd(o).status)
      .map((o) => `${o.orderId} (${o.path}, ${o.steps} steps): ${statuses.get(o.orderId)} instead of ${expectedEnd(o).status}`);
    const expected = new Map<string, { on_hand: number; reserved: number }>();
    for (const o of plan) {
      const e = expected.get(o.sku) ?? { on_hand: onHand, reserved: 0 };
      const { stock } = expectedEnd(o);
      if (stock === 'reserved') e.reserved += o.quantity;
      if (stock === 'shipped') e.on_hand -= o.quantity;
      if (typeof stock === 'function') {
        e.reserved += stock(o.quantity).reserved;
        e.on_hand -= stock(o.quantity).shipped;
      }
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
      // One event moves a line's units of one kind once; but one that ships several parcels (a version of the order
      // listing them, applied before their own fulfillments/create) commits a line's units once per parcel it recorded.
      movementsTwice: await one(`
        SELECT count(*) AS n FROM (
          SELECT webhook_event_id, kind, order_source, order_id, count(*) AS rows FROM stock_movements
           WHERE webhook_event_id IS NOT NULL GROUP BY webhook_event_id, sku, kind, order_source, order_id, line_no) t
         WHERE rows > CASE WHEN kind = 'commit' THEN greatest(1, (SELECT count(*) FROM order_parcels p
                 WHERE p.webhook_event_id = t.webhook_event_id AND p.order_source = t.order_source AND p.order_id = t.order_id))
               ELSE 1 END`),
      lineLedgerBreaches: await lineLedgerBreaches({ query: async (sql: string) => (await client.query<Record<string, unknown>>(sql)).rows }),
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
