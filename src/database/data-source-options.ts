import type { DataSourceOptions } from 'typeorm';
import { migrations } from '../../migrations/index.js';
import { entities } from './entities.js';

export interface PoolSettings {
  poolSize: number;
  connectTimeoutMs: number;
}

/** The one place the PostgreSQL connection is configured; `synchronize` stays off: the schema is migrations only. */
export function dataSourceOptions(url: string, pool: PoolSettings): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities,
    migrations,
    synchronize: false,
    migrationsRun: false,
    migrationsTransactionMode: 'each',
    poolSize: pool.poolSize,
    applicationName: 'shelfsync',
    extra: {
      // A request waits at most this long for a connection, then answers 503.
      connectionTimeoutMillis: pool.connectTimeoutMs,
      // No statement or lock can hold a delivery forever.
      statement_timeout: 15_000,
      lock_timeout: 10_000,
      idle_in_transaction_session_timeout: 30_000,
    },
  };
}
