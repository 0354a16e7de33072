import type { DataSource } from 'typeorm';
import { installRoutines } from './routines.js';

/** Any fixed number: the key of the session lock that lets one instance migrate at a time. */
const MIGRATION_LOCK_KEY = 741_852_963;

/**
 * Runs pending migrations, then installs the database functions of
 * `src/<module>/sql/` where they changed (src/database/routines.ts), while holding a
 * session-level advisory lock, so that several instances starting together
 * never run the same migration twice.
 */
export async function runMigrations(dataSource: DataSource, log: (line: string) => void): Promise<void> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    log(applied.length ? `applied migrations: ${applied.map((m) => m.name).join(', ')}` : 'database schema is up to date');
    const routines = await dataSource.transaction((em) => installRoutines(em));
    if (routines.length) log(`installed database functions: ${routines.join(', ')}`);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await runner.release();
  }
}
