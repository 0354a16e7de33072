/**
 * `npm run migration:run`: applies pending migrations to DATABASE_URL, or to
 * the embedded PostgreSQL when it is unset, then exits.
 */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { dataSourceOptions } from './data-source-options.js';
import { resolveDatabaseUrl } from './database-url.js';
import { runMigrations } from './migrate.js';
import { errorMessage } from '../common/error-message.js';

const log = (line: string) => console.log(`[migrations] ${line}`);

async function migrate(): Promise<void> {
  const config = AppConfig.fromEnv(process.env);
  const { url, embedded } = await resolveDatabaseUrl(config, log);
  const dataSource = await new DataSource(
    dataSourceOptions(url, { poolSize: 2, connectTimeoutMs: config.dbConnectTimeoutMs }),
  ).initialize();
  try {
    await runMigrations(dataSource, log);
  } finally {
    await dataSource.destroy();
    if (embedded?.owned) await embedded.stop();
  }
}

migrate().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`migrations did not run: ${errorMessage(error)}`);
    process.exit(1);
  },
);
