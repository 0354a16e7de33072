import { Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager, type QueryRunner } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { withinDeadline } from './deadline.js';
import { queryRows } from './query-rows.js';
import { isRetryableTransactionError, isTransientDatabaseError, sqlState } from './pg-errors.js';
import { CLIENT_DEADLINE_MS, SET_TRANSACTION_LIMITS } from './transaction-limits.js';
import { errorMessage } from '../common/error-message.js';

const MAX_ATTEMPTS = 5;

/**
 * The one way to open a transaction. Serialization failures and deadlocks
 * (40001, 40P01) roll back and run the whole unit of work again, so `work`
 * must have no effect outside the EntityManager it is given. Each retry is
 * counted by SQLSTATE, so a deadlock that a retry hid still shows. Every
 * transaction starts by setting its timeouts (transaction-limits.ts); one
 * that cannot start within DB_CONNECT_TIMEOUT_MS, or does not finish within
 * CLIENT_DEADLINE_MS, has its connection given up (the pool replaces it) and
 * is the database being unavailable.
 */
@Injectable()
export class TransactionRunner {
  private readonly logger = new Logger(TransactionRunner.name);
  /** Numbers the savepoints, so that nested ones never share a name. */
  private savepoints = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly metrics: MetricsService,
    private readonly config: AppConfig,
  ) {}

  async run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(work);
      } catch (error) {
        if (attempt >= MAX_ATTEMPTS || !isRetryableTransactionError(error)) throw error;
        this.metrics.recordTransactionRetry(sqlState(error) ?? 'unknown');
        this.logger.warn(`transaction attempt ${attempt} hit a serialization failure or deadlock; retrying`);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
      }
    }
  }

  /**
   * Runs `work` as a transaction (run); when it fails for a reason of its own
   * (not the database being away, nor contention that outlasted the retries),
   * its effects are rolled back and `keepFailure` records what failed in a
   * transaction of its own, so that it can be seen and tried again; then the
   * error goes on. A failure to keep it is logged, naming `what` failed (e.g.
   * `delivery shopify/123`), and never hides the first.
   */
  async runKeepingFailure<T>(
    what: string,
    work: (manager: EntityManager) => Promise<T>,
    keepFailure: (manager: EntityManager, error: unknown) => Promise<void>,
  ): Promise<T> {
    try {
      return await this.run(work);
    } catch (error) {
      if (!isTransientDatabaseError(error)) {
        await this.run((manager) => keepFailure(manager, error)).catch((keepError: unknown) => {
          this.logger.error(`could not record failed ${what} (${errorMessage(error)}): ${errorMessage(keepError)}`);
        });
      }
      throw error;
    }
  }

  /**
   * Runs `work` in the caller's transaction under a savepoint, so that it can
   * fail alone: when it throws, its effects are rolled back to the savepoint,
   * the savepoint is released, and `onFailure` decides, still in the
   * transaction, what stays of it (its answer is returned). A transient error
   * (the database away, a deadlock) concerns the whole transaction and goes
   * on. Savepoints nest: each has a name of its own and is gone (released, or
   * rolled back to and released) before the unit around it ends, so a unit
   * that fails always rolls back to its own savepoint, never to one a unit
   * inside it left behind.
   */
  async inSavepoint<T, F>(manager: EntityManager, work: () => Promise<T>, onFailure: (error: unknown) => Promise<F>): Promise<T | F> {
    const savepoint = `unit_of_work_${++this.savepoints}`;
    await manager.query(`SAVEPOINT ${savepoint}`);
    let result: T;
    try {
      result = await work();
    } catch (error) {
      if (isTransientDatabaseError(error)) throw error;
      await manager.query(`ROLLBACK TO SAVEPOINT ${savepoint}; RELEASE SAVEPOINT ${savepoint}`);
      return onFailure(error);
    }
    await manager.query(`RELEASE SAVEPOINT ${savepoint}`);
    return result;
  }

  /** One statement as a transaction of its own, under the same limits and retries; its rows (queryRows). */
  query<T extends unknown[] = unknown[]>(sql: string, parameters?: unknown[]): Promise<T> {
    return this.run((manager) => queryRows(manager, sql, parameters) as Promise<T>);
  }

  private async once<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    try {
      await this.start(runner);
      return await withinDeadline(runner, CLIENT_DEADLINE_MS, `the transaction did not finish within ${CLIENT_DEADLINE_MS} ms`, async () => {
        const result = await work(runner.manager);
        await runner.commitTransaction();
        return result;
      });
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }

  /**
   * Connects, BEGINs and sets the limits, or gives the connection up after
   * DB_CONNECT_TIMEOUT_MS (the pool's wait for a connection has a budget of
   * its own, so a start can take up to twice that). Once the transaction has
   * begun, the server's timeouts bound its statements, and CLIENT_DEADLINE_MS
   * a server that stopped answering.
   */
  private async start(runner: QueryRunner): Promise<void> {
    await runner.connect();
    const ms = this.config.dbConnectTimeoutMs;
    // Through PgBouncer the wait for a server connection happens here, at BEGIN: queued up to its
    // query_wait_timeout (120 s) while PostgreSQL is away.
    await withinDeadline(runner, ms, `the transaction did not start within ${ms} ms (DB_CONNECT_TIMEOUT_MS): no server connection`, async () => {
      await runner.startTransaction();
      await runner.query(SET_TRANSACTION_LIMITS);
    });
  }
}

