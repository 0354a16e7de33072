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
 * `work`, or `DatabaseDeadlineError(message)` after `ms`, when `expire` runs
 * first to give up the connection the work holds. Racing a timer alone would
 * answer in time but leave the connection waiting: through PgBouncer while
 * PostgreSQL is away, up to its query_wait_timeout (120 s), and a health
 * check every 2 s would soon hold the whole pool.
 */
async function raceDeadline<T>(ms: number, message: string, expire: (error: Error) => void, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new DatabaseDeadlineError(message);
      expire(error);
      reject(error);
    }, ms);
  });
  // The loser's rejection is expected; it must not surface as an unhandled one.
  work.catch(() => undefined);
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `work` on `runner`'s connection, or, after `ms`, that connection's socket
 * closed (the statement in flight fails, and the pool drops the client when
 * it is released) and `DatabaseDeadlineError(message)`.
 */
export function withinDeadline<T>(runner: QueryRunner, ms: number, message: string, work: () => Promise<T>): Promise<T> {
  const client = () => (runner as unknown as { databaseConnection?: PgClientHandle }).databaseConnection;
  return raceDeadline(ms, message, () => client()?.connection?.stream?.destroy(), work());
}

/**
 * One read-only statement outside any transaction (health checks, metrics),
 * answered within `ms` or given up: a connection that comes from the pool too
 * late goes straight back, and one whose statement overran is destroyed
 * (released with an error), never handed to the next caller.
 */
export function queryWithin<T>(dataSource: DataSource, ms: number, sql: string): Promise<T> {
  const pool = (dataSource.driver as unknown as { master: pg.Pool }).master;
  let client: pg.PoolClient | undefined;
  let released = false;
  let expired = false;
  const release = (error?: Error) => {
    if (!client || released) return;
    released = true;
    client.release(error);
  };
  const work = (async () => {
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
  return raceDeadline(ms, `no answer within ${ms} ms`, (error) => {
    expired = true;
    release(error);
  }, work);
}
