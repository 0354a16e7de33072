import type { DataSource } from 'typeorm';

/** Any fixed number: the key of the session lock that lets one instance migrate at a time. */
const MIGRATION_LOCK_KEY = 741_852_963;

/**
 * Runs pending migrations while holding a session-level advisory lock, so that
 * several instances starting together never run the same migration twice.
 */
export async function runMigrations(dataSource: DataSource, log: (line: string) => void): Promise<void> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    log(applied.length ? `applied migrations: ${applied.map((m) => m.name).join(', ')}` : 'database schema is up to date');
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await runner.release();
  }
}
