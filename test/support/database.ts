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
 * Where the order lines and the ledger disagree (each list empty when they
 * agree): ledger rows of an order that do not name one of its lines of their
 * SKU; orders whose ledger rows' reserved units differ from the sum of their
 * lines' reserved_quantity; lines whose reserved_quantity differs from the
 * sum of their rows' reserved deltas, or fulfilled_quantity from their
 * commits; SKUs whose reserved differs from what their lines hold.
 */
export async function lineLedgerBreaches(db: { query(sql: string): Promise<unknown[]> }): Promise<Record<'rowsWithoutTheirLine' | 'orders' | 'lines' | 'skus', unknown[]>> {
  return {
    rowsWithoutTheirLine: await db.query(`
      SELECT m.id FROM stock_movements m LEFT JOIN order_lines l USING (order_source, order_id, line_no)
       WHERE m.order_id IS NOT NULL AND (m.line_no IS NULL OR l.sku IS DISTINCT FROM m.sku)`),
    orders: await db.query(`
      SELECT o.source, o.order_id, coalesce(m.reserved, 0)::int AS ledger, coalesce(l.reserved, 0)::int AS lines
        FROM orders o
        LEFT JOIN (SELECT order_source, order_id, sum(reserved_delta) AS reserved FROM stock_movements GROUP BY 1, 2) m
               ON m.order_source = o.source AND m.order_id = o.order_id
        LEFT JOIN (SELECT order_source, order_id, sum(reserved_quantity) AS reserved FROM order_lines GROUP BY 1, 2) l
               ON l.order_source = o.source AND l.order_id = o.order_id
       WHERE coalesce(m.reserved, 0) <> coalesce(l.reserved, 0)`),
    lines: await db.query(`
      SELECT l.order_source, l.order_id, l.line_no, l.reserved_quantity, l.fulfilled_quantity, m.reserved, m.committed
        FROM order_lines l
        LEFT JOIN (SELECT order_source, order_id, line_no, sum(reserved_delta)::int AS reserved,
                          coalesce(sum(-on_hand_delta) FILTER (WHERE kind = 'commit'), 0)::int AS committed
                     FROM stock_movements WHERE order_id IS NOT NULL GROUP BY 1, 2, 3) m
               USING (order_source, order_id, line_no)
       WHERE l.reserved_quantity <> coalesce(m.reserved, 0) OR l.fulfilled_quantity <> coalesce(m.committed, 0)`),
    skus: await db.query(`
      SELECT s.sku, s.reserved, coalesce(l.reserved, 0)::int AS lines FROM stock s
        LEFT JOIN (SELECT sku, sum(reserved_quantity) AS reserved FROM order_lines GROUP BY sku) l USING (sku)
       WHERE s.reserved <> coalesce(l.reserved, 0)`),
  };
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
