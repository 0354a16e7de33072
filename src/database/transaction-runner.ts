import { Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { MetricsService } from '../metrics/metrics.service.js';
import { isRetryableTransactionError, sqlState } from './pg-errors.js';
import { SET_TRANSACTION_LIMITS } from './transaction-limits.js';

const MAX_ATTEMPTS = 5;

/**
 * The one way to open a transaction. Serialization failures and deadlocks
 * (40001, 40P01) roll back and run the whole unit of work again, so `work`
 * must have no effect outside the EntityManager it is given. Each retry is
 * counted by SQLSTATE, so a deadlock that a retry hid still shows. Every
 * transaction starts by setting its timeouts (transaction-limits.ts).
 */
@Injectable()
export class TransactionRunner {
  private readonly logger = new Logger(TransactionRunner.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly metrics: MetricsService,
  ) {}

  async run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.dataSource.transaction(async (manager) => {
          await manager.query(SET_TRANSACTION_LIMITS);
          return work(manager);
        });
      } catch (error) {
        if (attempt >= MAX_ATTEMPTS || !isRetryableTransactionError(error)) throw error;
        this.metrics.recordTransactionRetry(sqlState(error) ?? 'unknown');
        this.logger.warn(`transaction attempt ${attempt} hit a serialization failure or deadlock; retrying`);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
      }
    }
  }

  /** One statement as a transaction of its own, under the same limits and retries. */
  query<T = unknown>(sql: string, parameters?: unknown[]): Promise<T> {
    return this.run((manager) => manager.query<T>(sql, parameters));
  }
}
