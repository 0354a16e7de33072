import pg from 'pg';
import { scratchDatabaseUrl } from './scratch-database.js';

export interface HeldRows {
  /** Resolves once `n` of the service's transactions are waiting for a lock (these rows, or any other). */
  waitForWaiters(n: number): Promise<void>;
  /** Commits the holding transaction: everything waiting for those rows goes at once. */
  release(): Promise<void>;
}

/**
 * Locks the stock rows of `skus` from a connection of the test's own, so
 * that the service's transactions queue behind it, in the order they came,
 * until it lets them go: the interleaving a test needs, every time, rather
 * than once in a while.
 */
export async function holdStockRows(skus: string[]): Promise<HeldRows> {
  const client = new pg.Client({ connectionString: scratchDatabaseUrl() });
  // Watches from outside the holding transaction: inside one, pg_stat_activity can be the snapshot taken at
  // its first read (through PgBouncer it was, every time), so the waiters that came later would never show.
  const observer = new pg.Client({ connectionString: scratchDatabaseUrl() });
  await Promise.all([client.connect(), observer.connect()]);
  await client.query('BEGIN');
  await client.query(`SELECT sku FROM stock WHERE sku = ANY($1::text[]) FOR UPDATE`, [skus]);
  let released = false;
  return {
    async waitForWaiters(n) {
      // Within the service's lock timeout (5 s), after which those transactions would give up waiting.
      for (const until = Date.now() + 4_000; ; ) {
        const { rows } = await observer.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE datname = current_database() AND application_name = 'shelfsync' AND wait_event_type = 'Lock'`,
        );
        if (rows[0].n >= n) return;
        if (Date.now() > until) throw new Error(`${rows[0].n} of ${n} transactions came to wait for the held rows`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async release() {
      if (released) return;
      released = true;
      try {
        await client.query('COMMIT');
      } finally {
        await Promise.all([client.end(), observer.end()]);
      }
    },
  };
}
