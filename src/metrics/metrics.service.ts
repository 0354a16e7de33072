import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { queryWithin } from '../database/deadline.js';

/** What a delivery came to, as counted: the outcomes of the contract plus the refusals. */
export type DeliveryOutcome =
  | 'processed'
  | 'duplicate'
  | 'ignored'
  | 'deferred'
  | 'invalid'
  | 'failed'
  | 'unavailable';

interface PgPool {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

const SCRAPE_QUERY_TIMEOUT_MS = 2_000;
/** Database-derived figures are read at most this often, however often (or however many at once) scrape. */
const DATABASE_FIGURES_TTL_MS = 15_000;

/**
 * `read`, run at most once per TTL and never twice at once: a flood of
 * scrapes costs the database one query, not one per scrape.
 */
function cached(read: () => Promise<number>): () => Promise<number> {
  let value: { at: number; result: Promise<number> } | undefined;
  return () => {
    if (!value || Date.now() - value.at > DATABASE_FIGURES_TTL_MS) {
      const result = read();
      value = { at: Date.now(), result };
      // A failed read is not kept: the next scrape tries again.
      result.catch(() => {
        if (value?.result === result) value = undefined;
      });
    }
    return value.result;
  };
}

/**
 * The service's Prometheus metrics, on a registry of its own (so several
 * instances in one process, as in tests, never collide). Counters are
 * updated where things happen; database-derived gauges are read at scrape.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  private readonly deliveries = new Counter({
    name: 'shelfsync_webhook_deliveries_total',
    help: 'Verified webhook deliveries by source, event type and outcome',
    labelNames: ['source', 'event_type', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly duration = new Histogram({
    name: 'shelfsync_webhook_processing_seconds',
    help: 'Time from a verified delivery to its answer, by outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  private readonly batchSizes = new Histogram({
    name: 'shelfsync_group_commit_batch_size',
    help: 'Deliveries applied together in one transaction (group commit), per transaction',
    buckets: [1, 2, 4, 8, 16, 32, 64],
    registers: [this.registry],
  });

  private readonly transactionRetries = new Counter({
    name: 'shelfsync_transaction_retries_total',
    help: 'Transactions run again after a serialization failure (40001) or deadlock (40P01), by SQLSTATE',
    labelNames: ['sqlstate'] as const,
    registers: [this.registry],
  });

  private readonly signatureFailures = new Counter({
    name: 'shelfsync_webhook_signature_failures_total',
    help: 'Deliveries refused for a missing or wrong signature or timestamp, by source',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });

  private readonly reservationsExpired = new Counter({
    name: 'shelfsync_reservations_expired_total',
    help: 'Unpaid orders cancelled by the reservation sweeper (RESERVATION_TTL), their stock released',
    registers: [this.registry],
  });

  constructor(private readonly dataSource: DataSource) {
    collectDefaultMetrics({ register: this.registry, prefix: 'shelfsync_' });
    const pool = () => (this.dataSource.driver as unknown as { master?: PgPool }).master;
    new Gauge({
      name: 'shelfsync_db_pool_connections',
      help: 'Database pool connections by state: in_use, idle, waiting (requests queued for one)',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const p = pool();
        if (!p) return;
        this.set({ state: 'in_use' }, p.totalCount - p.idleCount);
        this.set({ state: 'idle' }, p.idleCount);
        this.set({ state: 'waiting' }, p.waitingCount);
      },
    });
    const fromDatabase = (sql: string) =>
      cached(async () => {
        const rows = await queryWithin<{ n: string }[]>(this.dataSource, SCRAPE_QUERY_TIMEOUT_MS, sql);
        return Number(rows[0].n);
      });
    this.databaseGauge(
      'shelfsync_deferred_events',
      'Deliveries waiting for their order to reach a status that allows them',
      fromDatabase(`SELECT count(*) AS n FROM webhook_events WHERE status = 'deferred'`),
    );
    this.databaseGauge(
      'shelfsync_low_stock_skus',
      'SKUs whose available units are at or below their low-stock threshold',
      fromDatabase(`SELECT count(*) AS n FROM stock WHERE low_stock`),
    );
  }

  recordDelivery(source: string, eventType: string, outcome: DeliveryOutcome, seconds: number): void {
    this.deliveries.inc({ source, event_type: eventType, outcome });
    this.duration.observe({ outcome }, seconds);
  }

  recordBatch(size: number): void {
    this.batchSizes.observe(size);
  }

  recordTransactionRetry(sqlstate: string): void {
    this.transactionRetries.inc({ sqlstate });
  }

  recordReservationsExpired(count: number): void {
    this.reservationsExpired.inc(count);
  }

  recordSignatureFailure(source: string): void {
    this.signatureFailures.inc({ source });
  }

  /** A gauge read from the database at scrape; while the database is away it reads NaN, never a false zero. */
  private databaseGauge(name: string, help: string, read: () => Promise<number>): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      async collect() {
        try {
          this.set(await read());
        } catch {
          this.set(Number.NaN);
        }
      },
    });
  }
}
