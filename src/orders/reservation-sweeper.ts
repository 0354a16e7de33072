import { type BeforeApplicationShutdown, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { OrdersService } from './orders.service.js';
import { errorMessage } from '../common/error-message.js';
import { orderLabel } from './order-key.js';

/** Orders expired per transaction at most. */
export const EXPIRY_BATCH_SIZE = 50;
const LONGEST_PERIOD_MS = 5_000;
const SHORTEST_PERIOD_MS = 200;

/** How often the sweeper looks: a quarter of the TTL, between 200 ms and 5 s. */
export function sweepPeriodMs(ttlMs: number): number {
  return Math.max(SHORTEST_PERIOD_MS, Math.min(Math.floor(ttlMs / 4), LONGEST_PERIOD_MS));
}

/**
 * Reservation expiry's sweeper, one in every instance when RESERVATION_TTL
 * is set: every period it expires the due unpaid orders in transactions of
 * at most EXPIRY_BATCH_SIZE (OrdersService.expireReservations), one after
 * another while batches come back full. Instances share the work through
 * SKIP LOCKED: none waits for another, none expires an order twice. Started
 * at bootstrap; stopped before the database pool closes, the sweep in
 * flight finished (it commits or rolls back whole).
 */
@Injectable()
export class ReservationSweeper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('ReservationExpiry');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly config: AppConfig,
    private readonly orders: OrdersService,
    private readonly transactions: TransactionRunner,
    private readonly metrics: MetricsService,
  ) {}

  onApplicationBootstrap(): void {
    const ttlMs = this.config.reservationTtlMs;
    if (ttlMs <= 0) return;
    this.logger.log(`unpaid orders expire after ${ttlMs} ms; looking every ${sweepPeriodMs(ttlMs)} ms, ${EXPIRY_BATCH_SIZE} at most per transaction`);
    this.schedule();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.sweep().then(() => undefined).finally(() => {
        this.running = undefined;
        this.schedule();
      });
    }, sweepPeriodMs(this.config.reservationTtlMs));
  }

  /** Expires what is due now, batch after batch while they come back full. Never throws. */
  async sweep(): Promise<number> {
    let total = 0;
    if (this.config.reservationTtlMs <= 0) return total;
    try {
      for (let full = true; full && !this.stopped; ) {
        const batch = await this.transactions.run((em) => this.orders.expireReservations(em, this.config.reservationTtlMs, EXPIRY_BATCH_SIZE));
        // a full batch that expired something: more may be due now; one that expired nothing waits a period
        full = batch.claimed === EXPIRY_BATCH_SIZE && batch.expired.length > 0;
        total += batch.expired.length;
        for (const { order, error } of batch.failed) {
          this.logger.error(`order ${orderLabel(order)} could not expire: ${errorMessage(error)}`);
        }
        if (batch.expired.length > 0) {
          this.metrics.recordReservationsExpired(batch.expired.length);
          this.logger.log(`expired ${batch.expired.length} unpaid order(s): cancelled with reason reservation_expired, stock released`);
        }
      }
    } catch (error) {
      // The database is away or the batch kept conflicting: the next period tries again.
      this.logger.warn(`reservation sweep failed, trying again in ${sweepPeriodMs(this.config.reservationTtlMs)} ms: ${errorMessage(error)}`);
    }
    return total;
  }
}
