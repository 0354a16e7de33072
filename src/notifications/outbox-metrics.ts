import { Injectable } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { DataSource } from 'typeorm';
import { queryWithin } from '../database/deadline.js';
import { MetricsService } from '../metrics/metrics.service.js';

const READ_TIMEOUT_MS = 2_000;
const READ_TTL_MS = 5_000;

/** The outbox's figures, on the service's registry: attempts by outcome, and the queue read at scrape. */
@Injectable()
export class OutboxMetrics {
  private readonly attempts: Counter<'outcome'>;
  private queue: { at: number; figures: Promise<{ due: number; oldest: number }> } | undefined;

  constructor(metrics: MetricsService, dataSource: DataSource) {
    this.attempts = new Counter({
      name: 'shelfsync_notification_attempts_total',
      help: 'Notification delivery attempts by outcome: delivered, retry, failed, gone (a 410 disabled the endpoint)',
      labelNames: ['outcome'] as const,
      registers: [metrics.registry],
    });
    // Read at most once per TTL however many scrape; while the database is away the gauges read NaN.
    const figures = () => {
      if (!this.queue || Date.now() - this.queue.at > READ_TTL_MS) {
        const read = queryWithin<{ due: string; oldest: string | null }[]>(
          dataSource,
          READ_TIMEOUT_MS,
          `SELECT count(*) FILTER (WHERE n.next_attempt_at <= now()) AS due,
                  extract(epoch FROM now() - min(n.created_at)) AS oldest
             FROM notifications n JOIN notification_endpoints e ON e.id = n.endpoint_id AND e.status = 'enabled'
            WHERE n.status = 'pending'`,
        ).then(([row]) => ({ due: Number(row.due), oldest: row.oldest === null ? 0 : Number(row.oldest) }));
        const entry = { at: Date.now(), figures: read };
        this.queue = entry;
        read.catch(() => {
          if (this.queue === entry) this.queue = undefined;
        });
      }
      return this.queue.figures;
    };
    new Gauge({
      name: 'shelfsync_notifications_due',
      help: 'Pending notifications due now (enabled endpoints): the queue the senders work through',
      registers: [metrics.registry],
      async collect() {
        this.set(await figures().then((f) => f.due, () => Number.NaN));
      },
    });
    new Gauge({
      name: 'shelfsync_notification_oldest_pending_seconds',
      help: 'Age of the oldest pending notification of an enabled endpoint (0 when none)',
      registers: [metrics.registry],
      async collect() {
        this.set(await figures().then((f) => f.oldest, () => Number.NaN));
      },
    });
  }

  recordAttempt(outcome: string): void {
    this.attempts.inc({ outcome });
  }
}
