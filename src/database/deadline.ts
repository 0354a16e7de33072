import type pg from 'pg';
import type { DataSource, QueryRunner } from 'typeorm';

/** An answer that did not come in time. Its code marks it as the database being unavailable (pg-errors.ts): a 503. */
export class DatabaseDeadlineError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseDeadlineError';
  }
}

/** The pg client under a TypeORM query runner, as far as ending it goes. */
interface PgClientHandle {
  connection?: { stream?: { destroy(error?: Error): void } };
}

/**
 * `work` on `runner`'s connection, or, after `ms`, that connection given up
 * (its socket closed: the statement in flight fails, and the pool drops the
 * client when it is released) and `DatabaseDeadlineError(message)`. Racing a
 * timer alone would answer in time but leave the connection waiting: through
 * PgBouncer while PostgreSQL is away, up to its query_wait_timeout (120 s),
 * and a health check every 2 s would soon hold the whole pool.
 */
export async function withinDeadline<T>(runner: QueryRunner, ms: number, message: string, work: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      (runner as unknown as { databaseConnection?: PgClientHandle }).databaseConnection?.connection?.stream?.destroy();
      reject(new DatabaseDeadlineError(message));
    }, ms);
  });
  const working = work();
  // The loser's rejection is expected; it must not surface as an unhandled one.
  working.catch(() => undefined);
  try {
    return await Promise.race([working, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One read-only statement outside any transaction (health checks, metrics),
 * answered within `ms` or given up: a connection that comes from the pool too
 * late goes straight back, and one whose statement overran is destroyed
 * (released with an error), never handed to the next caller.
 */
export async function queryWithin<T>(dataSource: DataSource, ms: number, sql: string): Promise<T> {
  const pool = (dataSource.driver as unknown as { master: pg.Pool }).master;
  let client: pg.PoolClient | undefined;
  let released = false;
  let expired = false;
  const release = (error?: Error) => {
    if (!client || released) return;
    released = true;
    client.release(error);
  };
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      expired = true;
      const error = new DatabaseDeadlineError(`no answer within ${ms} ms`);
      release(error);
      reject(error);
    }, ms);
  });
  const working = (async () => {
    client = await pool.connect();
    if (expired) {
      release();
      throw new DatabaseDeadlineError(`no connection within ${ms} ms`);
    }
    try {
      return (await client.query(sql)).rows as T;
    } finally {
      release();
    }
  })();
  working.catch(() => undefined);
  try {
    return await Promise.race([working, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
