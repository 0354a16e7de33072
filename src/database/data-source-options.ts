import type { EventEmitter } from 'node:events';
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
    migrationsTransactionMode: 'all',
    // The schema is migrations/' alone: TypeORM creates no extension (gen_random_uuid() is built in since
    // PostgreSQL 13), and names that function where it writes a uuid default, as the schema does.
    installExtensions: false,
    uuidExtension: 'pgcrypto',
    poolSize: pool.poolSize,
    applicationName: 'shelfsync',
    extra: {
      // A request waits at most this long for a connection, then answers 503.
      connectionTimeoutMillis: pool.connectTimeoutMs,
      // No session settings here: statement and lock timeouts are set inside each transaction
      // (transaction-limits.ts), which works through a transaction pooler too.
      // Every client keeps a listener for 'error' for its whole life. A connection the server terminates
      // can emit 'error' twice; TypeORM's listener takes the first (and releases the client) and then goes,
      // and an 'error' event with no listener would end the process. The error itself reaches the query
      // that was running, or TypeORM's listener, either way.
      onConnect: (client: EventEmitter) => {
        client.on('error', () => undefined);
      },
    },
  };
}
