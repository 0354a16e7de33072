import { type DataSource, MigrationExecutor } from 'typeorm';
import { installRoutines } from './routines.js';
import { setLocalLimits, TRANSACTION_LIMITS } from './transaction-limits.js';

/** Any fixed number: the key of the lock that lets one instance migrate at a time. */
const MIGRATION_LOCK_KEY = 741_852_963;

/** How long an instance waits while another one migrates before it gives up (and its supervisor restarts it). */
const MIGRATION_WAIT_MS = 120_000;

/**
 * Runs pending migrations, then installs the database functions of
 * `src/<module>/sql/` where they changed (src/database/routines.ts), all in
 * one transaction that first takes a transaction-level advisory lock, so that
 * several instances starting together never run the same migration twice,
 * and a failure leaves the schema as it was.
 *
 * The lock is a transaction's, not a session's: through a transaction pooler
 * (PgBouncer in transaction mode) a session lock would be held by whichever
 * server connection ran it and outlive the migration; a transaction's goes
 * with its COMMIT or ROLLBACK, whatever connection it ran on.
 *
 * The wait for the lock is bounded by MIGRATION_WAIT_MS. Once it is held, DDL
 * waits for a table lock at most `lock_timeout` (5 s): a migration queued
 * behind live traffic fails and is retried at the next start, rather than
 * holding up every request behind it. Statements run under the server's own
 * `statement_timeout`, so a long data migration is not cut at 8 s.
 */
export async function runMigrations(dataSource: DataSource, log: (line: string) => void): Promise<void> {
  const runner = dataSource.createQueryRunner();
  try {
    await runner.startTransaction();
    await runner.query(setLocalLimits({ lock_timeout: MIGRATION_WAIT_MS }));
    await runner.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await runner.query(
      setLocalLimits({
        lock_timeout: TRANSACTION_LIMITS.lock_timeout,
        idle_in_transaction_session_timeout: TRANSACTION_LIMITS.idle_in_transaction_session_timeout,
      }),
    );
    const executor = new MigrationExecutor(dataSource, runner);
    // 'all' in a transaction that is already open: the executor runs every migration in it and leaves COMMIT to us
    executor.transaction = 'all';
    const applied = await executor.executePendingMigrations();
    const routines = await installRoutines(runner.manager);
    await runner.commitTransaction();
    log(applied.length ? `applied migrations: ${applied.map((m) => m.name).join(', ')}` : 'database schema is up to date');
    if (routines.length) log(`installed database functions: ${routines.join(', ')}`);
  } catch (error) {
    if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
    throw error;
  } finally {
    await runner.release();
  }
}
