/**
 * The load of the HTTP targets (service and plain receiver): signed
 * `new_order` deliveries generated one per request, driven by autocannon,
 * with every answer recorded so the database can be checked against them.
 */
import { createHmac, randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import { POOL_SIZE, SKU_COUNT, type Scenario } from './options.js';

export interface Delivery {
  eventId: string;
  body: string;
  signature: string;
}

/** What the answers said, for the checks after a measurement. */
export interface AnswerTally {
  /** Requests built and sent (fresh and resent). */
  sent: number;
  /** Answers received, whatever their status. */
  answered: number;
  non2xx: number;
  /** 2xx answers by their `status` field: processed, duplicate, rejected, ignored, ... */
  byStatus: Record<string, number>;
  /** Answers that contradict the scenario: a resent event processed again, or a new one called a duplicate. */
  unexpected: number;
}

/**
 * Generates the deliveries of one measurement. Each is a contract `new_order`
 * envelope (unique event id and order id, 1 or 2 lines of quantity 1 on
 * distinct SKUs picked per the scenario), signed `hmac-sha256` over its exact
 * bytes. In the duplicates scenario, dupPct% of deliveries resend one of the
 * pooled events byte for byte, with its signature.
 */
export class OrderFeed {
  private counter = 0;
  /** Pooled events, delivered before the measurement (deliverPool). */
  readonly pool: Delivery[] = [];
  private readonly poolIds = new Set<string>();
  /** Event ids answered 2xx and kept (everything but a `rejected` answer): what webhook_events must hold. */
  readonly acknowledged = new Set<string>();
  readonly tally: AnswerTally = { sent: 0, answered: 0, non2xx: 0, byStatus: {}, unexpected: 0 };
  /** Distinguishes this measurement's ids in logs and stored rows. */
  private readonly tag = randomBytes(3).toString('hex');

  constructor(
    private readonly scenario: Scenario,
    private readonly secret: string,
  ) {}

  /** A SKU number per the scenario: hotPct% among the hot set, the rest uniform over the other SKUs. */
  private pickSku(): number {
    const { hotSkus, hotPct } = this.scenario;
    if (hotSkus > 0 && Math.random() * 100 < hotPct) return 1 + Math.floor(Math.random() * hotSkus);
    return hotSkus + 1 + Math.floor(Math.random() * (SKU_COUNT - hotSkus));
  }

  /** A new event, never sent before. */
  fresh(): Delivery {
    const n = ++this.counter;
    const first = this.pickSku();
    const skus = [first];
    if (Math.random() < 0.5) {
      const second = this.pickSku();
      // Distinct SKUs, as bench/new-order.sql picks them.
      skus.push(second === first ? (first % SKU_COUNT) + 1 : second);
    }
    const eventId = `evt_${this.tag}_${n}`;
    const body = JSON.stringify({
      id: eventId,
      event: 'new_order',
      created_at: new Date().toISOString(),
      data: {
        order_id: n,
        customer_name: `Bench Customer ${n}`,
        total_amount: 10.5 * skus.length,
        currency: 'USD',
        items: skus.map((sku) => ({ sku: `SKU-${String(sku).padStart(4, '0')}`, quantity: 1, unit_price: 10.5 })),
      },
    });
    return { eventId, body, signature: createHmac('sha256', this.secret).update(body).digest('hex') };
  }

  /** The next request of the load: a resent pooled event (duplicates scenario) or a fresh one. */
  next(): Delivery {
    this.tally.sent++;
    if (this.pool.length && Math.random() * 100 < this.scenario.dupPct) {
      return this.pool[Math.floor(Math.random() * this.pool.length)];
    }
    return this.fresh();
  }

  /** Records one answer: its HTTP status and its JSON body. */
  record(status: number, body: string): void {
    this.tally.answered++;
    if (status < 200 || status > 299) {
      this.tally.non2xx++;
      return;
    }
    let answer: { event_id?: unknown; status?: unknown } = {};
    try {
      answer = JSON.parse(body) as typeof answer;
    } catch {
      // counted as an unknown status below
    }
    const outcome = typeof answer.status === 'string' ? answer.status : 'unparsable';
    this.tally.byStatus[outcome] = (this.tally.byStatus[outcome] ?? 0) + 1;
    const eventId = typeof answer.event_id === 'string' ? answer.event_id : undefined;
    if (!eventId) return;
    const pooled = this.poolIds.has(eventId);
    if ((outcome === 'duplicate') !== pooled) this.tally.unexpected++;
    if (outcome !== 'rejected') this.acknowledged.add(eventId);
  }

  /**
   * Delivers POOL_SIZE fresh events (not measured) and keeps them for
   * resending; each must be answered 200 `processed`.
   */
  async deliverPool(baseUrl: string, concurrency = 32): Promise<void> {
    const events = Array.from({ length: POOL_SIZE }, () => this.fresh());
    let index = 0;
    const worker = async () => {
      while (index < events.length) {
        const delivery = events[index++];
        const response = await fetch(`${baseUrl}/webhooks`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-signature': delivery.signature },
          body: delivery.body,
        });
        const text = await response.text();
        if (response.status !== 200 || !text.includes('"processed"')) {
          throw new Error(`pooled event ${delivery.eventId} answered ${response.status} ${text}`);
        }
        this.acknowledged.add(delivery.eventId);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    this.pool.push(...events);
    for (const event of events) this.poolIds.add(event.eventId);
  }
}

export interface LoadResult {
  seconds: number;
  /** 2xx answers per second. */
  eventsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Non-2xx answers plus socket errors and timeouts. */
  errors: number;
  ok2xx: number;
  non2xx: number;
  socketErrors: number;
  timeouts: number;
}

/**
 * POSTs feed.next() to `${baseUrl}/webhooks` for `seconds` on `connections`
 * keep-alive connections (one request in flight on each), recording every
 * answer in the feed.
 */
export async function drive(baseUrl: string, feed: OrderFeed, seconds: number, connections: number): Promise<LoadResult> {
  const result = await autocannon({
    url: baseUrl,
    connections,
    pipelining: 1,
    duration: seconds,
    timeout: 10,
    requests: [
      {
        method: 'POST',
        path: '/webhooks',
        // Called for each request: a new body and its signature.
        setupRequest: (request) => {
          const delivery = feed.next();
          return {
            ...request,
            body: delivery.body,
            headers: { ...request.headers, 'content-type': 'application/json', 'x-signature': delivery.signature },
          };
        },
        onResponse: (status, body) => feed.record(status, body),
      },
    ],
  });
  return {
    seconds: result.duration,
    eventsPerSecond: result['2xx'] / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.non2xx + result.errors,
    ok2xx: result['2xx'],
    non2xx: result.non2xx,
    socketErrors: result.errors - result.timeouts,
    timeouts: result.timeouts,
  };
}
