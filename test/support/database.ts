import type { DataSource } from 'typeorm';
import type pg from 'pg';

const TABLES = ['stock_movements', 'order_status_history', 'order_attention', 'order_lines', 'orders', 'webhook_events', 'stock'];

/** Empties every table, so each test starts from nothing. */
export async function resetDatabase(db: DataSource): Promise<void> {
  await db.query(`TRUNCATE ${TABLES.join(', ')} RESTART IDENTITY CASCADE`);
}

export async function seedStock(db: DataSource, stock: Record<string, number>): Promise<void> {
  for (const [sku, onHand] of Object.entries(stock)) {
    await db.query(`INSERT INTO stock (sku, on_hand) VALUES ($1, $2)`, [sku, onHand]);
    await db.query(`INSERT INTO stock_movements (sku, kind, on_hand_delta, reserved_delta, reason) VALUES ($1, 'adjust', $2, 0, 'test seed')`, [sku, onHand]);
  }
}

export async function stockOf(db: DataSource, sku: string): Promise<{ on_hand: number; reserved: number } | undefined> {
  const rows: { on_hand: number; reserved: number }[] = await db.query(
    `SELECT on_hand, reserved FROM stock WHERE sku = $1`,
    [sku],
  );
  return rows[0];
}

export async function count(db: DataSource, table: string, where = 'true', params: unknown[] = []): Promise<number> {
  const rows: { n: string }[] = await db.query(`SELECT count(*) AS n FROM ${table} WHERE ${where}`, params);
  return Number(rows[0].n);
}

/** The ledger's sums per SKU must equal the counters; returns the SKUs where they do not. */
export async function ledgerMismatches(db: DataSource): Promise<unknown[]> {
  return db.query(`
    SELECT s.sku, s.on_hand, s.reserved, coalesce(m.on_hand, 0) AS ledger_on_hand, coalesce(m.reserved, 0) AS ledger_reserved
      FROM stock s
      LEFT JOIN (SELECT sku, sum(on_hand_delta) AS on_hand, sum(reserved_delta) AS reserved
                   FROM stock_movements GROUP BY sku) m USING (sku)
     WHERE s.on_hand <> coalesce(m.on_hand, 0) OR s.reserved <> coalesce(m.reserved, 0)`);
}

/**
 * Makes inserts into `table` fail inside the database while `when` (SQL over
 * NEW) holds: a real error in the middle of a handler, for the failure paths.
 * Returns the function that removes the fault.
 */
export async function failInserts(
  db: DataSource,
  fault: { name: string; table: string; when: string; message: string; sqlstate?: string },
): Promise<() => Promise<void>> {
  await db.query(`
    CREATE OR REPLACE FUNCTION ${fault.name}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF ${fault.when} THEN RAISE EXCEPTION '${fault.message}' USING ERRCODE = '${fault.sqlstate ?? 'P0001'}'; END IF;
      RETURN NEW;
    END $$`);
  await db.query(`DROP TRIGGER IF EXISTS ${fault.name} ON ${fault.table}`);
  await db.query(`CREATE TRIGGER ${fault.name} BEFORE INSERT ON ${fault.table} FOR EACH ROW EXECUTE FUNCTION ${fault.name}()`);
  return async () => {
    await db.query(`DROP TRIGGER IF EXISTS ${fault.name} ON ${fault.table}`);
  };
}

/**
 * Whether `client` reaches PostgreSQL through a pooler such as PgBouncer: the
 * server it ends at listens on another port than the one it dialled. Through
 * one, server connections are the pooler's: they outlive the client that used
 * them, and carry the last application_name set on them.
 */
export async function throughPooler(client: pg.Client): Promise<boolean> {
  const { rows } = await client.query<{ port: number | null }>(`SELECT inet_server_port() AS port`);
  return rows[0].port !== null && rows[0].port !== client.port;
}
