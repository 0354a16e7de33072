import { Injectable, Logger } from '@nestjs/common';
import { AppError } from '../../common/app-error.js';
import { BatchQueue } from '../../common/batch-queue.js';
import { AppConfig } from '../../config/app-config.js';
import { isTransientDatabaseError } from '../../database/pg-errors.js';
import { TransactionRunner } from '../../database/transaction-runner.js';
import { MetricsService } from '../../metrics/metrics.service.js';
import { createsOrderOnly } from '../../orders/order-commands.js';
import { ApplyDeliveries } from './apply-deliveries.js';
import type { DeliveryResult, PendingDelivery } from './delivery.js';

/**
 * Group commit limits, measured with `npm run bench`: batches of up to this
 * many deliveries, this many in flight at once (each holds one connection).
 */
const MAX_BATCH = 64;
const MAX_IN_FLIGHT = 2;

/**
 * A strategy of the apply stage: concurrent order creations share one
 * transaction. Deliveries that arrive while transactions are in flight wait
 * and go together in the next one, each answered after its commit with the
 * outcome it would have had alone, in arrival order. When one of them breaks
 * the shared transaction, each is applied again on its own, one after
 * another, so that only that one fails.
 */
@Injectable()
export class GroupCommit {
  private readonly logger = new Logger('GroupCommit');
  private readonly queue: BatchQueue<PendingDelivery, DeliveryResult>;

  constructor(
    private readonly apply: ApplyDeliveries,
    private readonly transactions: TransactionRunner,
    private readonly metrics: MetricsService,
    config: AppConfig,
  ) {
    this.queue = new BatchQueue((batch: PendingDelivery[]) => this.applyBatch(batch), {
      maxBatch: MAX_BATCH,
      maxInFlight: MAX_IN_FLIGHT,
      // Waiting for a turn is waiting for a connection: as long as the pool lets a request wait for one.
      maxWaitMs: config.dbConnectTimeoutMs,
      timeoutError: () => AppError.databaseUnavailable(),
    });
  }

  /** Whether a delivery goes through group commit: order creations, the flash sale's bulk. */
  takes(pending: PendingDelivery): boolean {
    return createsOrderOnly(pending.read.commands);
  }

  push(pending: PendingDelivery): Promise<DeliveryResult> {
    return this.queue.push(pending);
  }

  /** One batch, as the queue hands it over: a result for each delivery, in order. */
  async applyBatch(batch: PendingDelivery[]): Promise<PromiseSettledResult<DeliveryResult>[]> {
    this.metrics.recordBatch(batch.length);
    if (batch.length === 1) return Promise.allSettled([this.apply.alone(batch[0])]);
    try {
      const results = await this.transactions.run((em) => this.apply.inTransaction(em, batch));
      return results.map((value) => ({ status: 'fulfilled', value }));
    } catch (error) {
      if (isTransientDatabaseError(error)) {
        const unavailable = AppError.databaseUnavailable();
        return batch.map(() => ({ status: 'rejected', reason: unavailable }));
      }
      this.logger.warn(`a batch of ${batch.length} deliveries failed (${String(error)}); applying each on its own`);
      // In arrival order, one after another, as they would have been without the batch.
      const results: PromiseSettledResult<DeliveryResult>[] = [];
      for (const pending of batch) {
        try {
          results.push({ status: 'fulfilled', value: await this.apply.alone(pending) });
        } catch (reason) {
          results.push({ status: 'rejected', reason });
        }
      }
      return results;
    }
  }
}
