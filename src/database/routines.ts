import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { EntityManager } from 'typeorm';

/**
 * The database functions that hold rules, as source files beside the module
 * that owns each rule, in the order they are installed (a function before
 * those that call it). Paths are relative to `src/`; `npm run build` copies
 * the files to `dist/src/`.
 */
export const ROUTINE_FILES = [
  'notifications/sql/notify.sql',
  'notifications/sql/signing_secrets.sql',
  'inventory/sql/lock_stock.sql',
  'inventory/sql/apply_stock_movements.sql',
  'inventory/sql/allocate_stock.sql',
  'orders/sql/lock_orders.sql',
  'orders/sql/record_status_changes.sql',
  'orders/sql/move_order_lines.sql',
  'orders/sql/create_orders.sql',
  'orders/sql/claim_expired_reservations.sql',
  'webhooks/sql/deferred_events.sql',
  'webhooks/sql/delivery_attempts.sql',
  'webhooks/sql/claim_deliveries.sql',
] as const;

/** Every function the service installs is named shelfsync_*; nothing else in the schema is. */
const OWN_FUNCTIONS = `SELECT p.oid::regprocedure::text AS signature FROM pg_proc p
  WHERE p.proname LIKE 'shelfsync\\_%' AND p.pronamespace = current_schema()::regnamespace`;

export interface Routine {
  file: string;
  sql: string;
  sha256: string;
}

export function readRoutines(root = new URL('../', import.meta.url)): Routine[] {
  return ROUTINE_FILES.map((file) => {
    const sql = readFileSync(new URL(file, root), 'utf8');
    return { file, sql, sha256: createHash('sha256').update(sql).digest('hex') };
  });
}

/**
 * Installs the routines when the database has other versions of them (or
 * none), in the caller's transaction, after the migrations: every shelfsync_*
 * function is dropped and the files are run in order, so a function that was
 * renamed or removed from the source is gone too, and a changed signature
 * needs no DROP of its own. Migrations stay immutable history; these files
 * are the rules as they are now, like Flyway's repeatable migrations.
 * Returns the files installed (none when the database had them all).
 */
export async function installRoutines(em: EntityManager, routines = readRoutines()): Promise<string[]> {
  const installed: { file: string; sha256: string }[] = await em.query(`SELECT file, sha256 FROM shelfsync_routines`);
  const current = new Map(installed.map((row) => [row.file, row.sha256]));
  const upToDate = installed.length === routines.length && routines.every((r) => current.get(r.file) === r.sha256);
  if (upToDate) return [];

  for (const { signature } of await em.query<{ signature: string }[]>(OWN_FUNCTIONS)) {
    await em.query(`DROP FUNCTION ${signature}`);
  }
  for (const routine of routines) await em.query(routine.sql);
  await em.query(`DELETE FROM shelfsync_routines`);
  await em.query(`INSERT INTO shelfsync_routines (file, sha256) SELECT * FROM unnest($1::text[], $2::text[])`, [
    routines.map((r) => r.file),
    routines.map((r) => r.sha256),
  ]);
  return routines.filter((r) => current.get(r.file) !== r.sha256).map((r) => r.file);
}
