/**
 * The benchmark's databases: the server (DATABASE_URL's, or the embedded
 * PostgreSQL in .data/bench-pg), a template built once (migrations + seed),
 * and a fresh copy of it for every measurement, dropped afterwards.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import pg from 'pg';
import { describeUrl } from '../src/database/database-url.js';
import { startEmbeddedPostgres, type EmbeddedServer } from '../src/database/embedded-postgres.js';
import { POOL_SIZE, SEED_ON_HAND, SKU_COUNT } from './options.js';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
const EMBEDDED_DIR = '.data/bench-pg';

/** Every database this harness creates or drops is named so; nothing else is ever touched. */
const OWN_NAME = /^shelfsync_bench_[a-z0-9_]+$/;
const NEVER = new Set(['postgres', 'test', 'root', 'template0', 'template1']);

function assertOwn(name: string): void {
  if (!OWN_NAME.test(name) || NEVER.has(name)) throw new Error(`refusing to touch database "${name}": not one of the benchmark's`);
}

/** Runs `work` on a short-lived connection to `url`. */
export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export class BenchServer {
  /** A fresh id per run, so two runs on one server never share a database. */
  private readonly runId = randomBytes(3).toString('hex');
  private template: string | undefined;
  private sequence = 0;
  private readonly created = new Set<string>();

  private constructor(
    /** Connection string of the database used for CREATE/DROP DATABASE (never itself changed). */
    readonly adminUrl: string,
    private readonly embedded: EmbeddedServer | undefined,
    readonly description: string,
  ) {}

  /** DATABASE_URL's server when it is set, else the embedded PostgreSQL (started, or joined). */
  static async open(log: (line: string) => void): Promise<BenchServer> {
    const fromEnv = process.env.DATABASE_URL?.trim();
    if (fromEnv) return new BenchServer(fromEnv, undefined, `DATABASE_URL server ${describeUrl(fromEnv)}`);
    const embedded = await startEmbeddedPostgres(EMBEDDED_DIR, log);
    return new BenchServer(embedded.url, embedded, `embedded PostgreSQL in ${EMBEDDED_DIR}`);
  }

  urlOf(database: string): string {
    const url = new URL(this.adminUrl);
    url.pathname = `/${database}`;
    return url.toString();
  }

  /** CREATE DATABASE, optionally as a copy of the template. */
  private async create(name: string, template?: string): Promise<string> {
    assertOwn(name);
    await withClient(this.adminUrl, async (c) => {
      const from = template ? ` TEMPLATE ${c.escapeIdentifier(template)}` : '';
      await c.query(`CREATE DATABASE ${c.escapeIdentifier(name)}${from}`);
    });
    this.created.add(name);
    return this.urlOf(name);
  }

  async drop(name: string): Promise<void> {
    assertOwn(name);
    // FORCE: a connection left behind by a killed target must not keep the database alive.
    await withClient(this.adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(name)} WITH (FORCE)`));
    this.created.delete(name);
  }

  /**
   * The template every measurement copies: the project's migrations (run by
   * its own migration CLI from dist/), then SKU_COUNT SKUs with SEED_ON_HAND
   * on hand each, written through an `adjust` ledger row as the service
   * itself would, so that the ledger explains every counter.
   */
  async buildTemplate(log: (line: string) => void): Promise<void> {
    const name = `shelfsync_bench_${this.runId}_template`;
    const url = await this.create(name);
    log(`building the template database ${name}: migrations, then ${SKU_COUNT} SKUs`);
    await runMigrations(url);
    await withClient(url, async (c) => {
      await c.query('BEGIN');
      await c.query(
        `INSERT INTO stock (sku, on_hand) SELECT 'SKU-' || lpad(i::text, 4, '0'), $1 FROM generate_series(1, $2) AS i`,
        [SEED_ON_HAND, SKU_COUNT],
      );
      await c.query(
        `INSERT INTO stock_movements (sku, kind, on_hand_delta, reserved_delta, reason)
         SELECT sku, 'adjust', on_hand, 0, 'benchmark seed' FROM stock ORDER BY sku`,
      );
      await c.query('COMMIT');
      // The seeded tables only, as a real deployment would have them: analysing the empty event and order
      // tables would tell the planner they stay empty, and the foreign-key checks into orders, planned
      // once per connection, would scan the whole table until autovacuum analyses it again (about a minute).
      await c.query('VACUUM ANALYZE stock, stock_movements');
    });
    this.template = name;
  }

  /** A fresh copy of the template for one measurement: its name and URL. */
  async freshDatabase(): Promise<{ name: string; url: string }> {
    if (!this.template) throw new Error('buildTemplate() first');
    const name = `shelfsync_bench_${this.runId}_${++this.sequence}`;
    return { name, url: await this.create(name, this.template) };
  }

  /**
   * Flushes dirty pages now, so that no measurement pays for the previous
   * one's checkpoint. Needs superuser or pg_checkpoint; skipped without.
   */
  async checkpoint(): Promise<void> {
    await withClient(this.adminUrl, (c) => c.query('CHECKPOINT')).catch(() => undefined);
  }

  /** Drops whatever this run created (the template last), and stops an embedded server it started. */
  async close(): Promise<void> {
    const names = [...this.created].sort((a, b) => Number(a === this.template) - Number(b === this.template));
    for (const name of names) await this.drop(name).catch((e: unknown) => console.error(`could not drop ${name}: ${String(e)}`));
    if (this.embedded?.owned) await this.embedded.stop();
  }
}

/** `node dist/src/database/migration-cli.js` against `url`: the same code path as `npm run migration:run`. */
function runMigrations(url: string): Promise<void> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, ['dist/src/database/migration-cli.js'], {
      cwd: REPO_ROOT,
      env: { ...process.env, DATABASE_URL: url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', fail);
    child.on('exit', (code) => (code === 0 ? ok() : fail(new Error(`migrations failed (exit ${code}):\n${output}`))));
  });
}

/**
 * For pgbench's duplicates scenario: POOL_SIZE delivered events
 * (evt_pool_1..), which 30% of its transactions then claim again.
 */
export async function insertEventPool(url: string, headersJson: string): Promise<void> {
  await withClient(url, (c) =>
    c.query(
      `WITH e AS (
         SELECT i, convert_to(format('{"id":"evt_pool_%s","event":"new_order","data":{"order_id":"pool_%s"}}', i, i), 'UTF8') AS body
           FROM generate_series(1, $1) AS i
       )
       INSERT INTO webhook_events (source, event_id, event_type, order_id, status, headers, raw_body, body_sha256, processed_at)
       SELECT 'default', 'evt_pool_' || i, 'new_order', 'pool_' || i, 'processed', $2::jsonb, body, sha256(body), now() FROM e`,
      [POOL_SIZE, headersJson],
    ),
  );
}

export interface DatabaseState {
  /** Rows in webhook_events. */
  events: number;
  /** Orders in status pending. */
  pendingOrders: number;
  /** Sum of stock.reserved over all SKUs. */
  reservedUnits: number;
  /** Sum of the quantities of the lines of pending orders: what should be reserved. */
  pendingUnits: number;
  /** SKUs whose counters differ from the sums of their ledger rows (stock_movements). */
  ledgerMismatches: number;
}

/** What a measurement left in its database, for the correctness checks. */
export async function readState(url: string): Promise<DatabaseState> {
  return withClient(url, async (c) => {
    const { rows } = await c.query<Record<keyof DatabaseState, string>>(
      `SELECT (SELECT count(*) FROM webhook_events) AS "events",
              (SELECT count(*) FROM orders WHERE status = 'pending') AS "pendingOrders",
              (SELECT coalesce(sum(reserved), 0) FROM stock) AS "reservedUnits",
              (SELECT coalesce(sum(l.quantity), 0) FROM order_lines l JOIN orders o ON o.source = l.order_source AND o.order_id = l.order_id
                WHERE o.status = 'pending') AS "pendingUnits",
              (SELECT count(*) FROM stock s
                 LEFT JOIN (SELECT sku, sum(on_hand_delta) AS oh, sum(reserved_delta) AS r
                              FROM stock_movements GROUP BY sku) m USING (sku)
                WHERE s.on_hand <> coalesce(m.oh, 0) OR s.reserved <> coalesce(m.r, 0)) AS "ledgerMismatches"`,
    );
    const row = rows[0];
    return {
      events: Number(row.events),
      pendingOrders: Number(row.pendingOrders),
      reservedUnits: Number(row.reservedUnits),
      pendingUnits: Number(row.pendingUnits),
      ledgerMismatches: Number(row.ledgerMismatches),
    };
  });
}

export interface ServerSettings {
  version: string;
  synchronousCommit: string;
  fsync: string;
  sharedBuffers: string;
  maxConnections: string;
}

export async function readSettings(url: string): Promise<ServerSettings> {
  return withClient(url, async (c) => {
    const show = async (name: string) => (await c.query<Record<string, string>>(`SHOW ${name}`)).rows[0][name];
    return {
      version: await show('server_version'),
      synchronousCommit: await show('synchronous_commit'),
      fsync: await show('fsync'),
      sharedBuffers: await show('shared_buffers'),
      maxConnections: await show('max_connections'),
    };
  });
}
