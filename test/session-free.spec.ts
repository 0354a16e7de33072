import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import pg from 'pg';
import { DataSource, type MigrationInterface, type QueryRunner } from 'typeorm';
import { migrations } from '../migrations/index.js';
import { ensureDatabase } from '../src/database/database-url.js';
import { dataSourceOptions } from '../src/database/data-source-options.js';
import { runMigrations } from '../src/database/migrate.js';
import { ROUTINE_FILES } from '../src/database/routines.js';
import { TransactionRunner } from '../src/database/transaction-runner.js';
import { throughPooler } from './support/database.js';
import { scratchDatabaseUrl } from './support/scratch-database.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/**
 * Nothing the service does relies on a server session, so that it runs the
 * same through a transaction pooler (PgBouncer in transaction mode), where
 * consecutive statements outside a transaction may run on different server
 * connections and a session's settings and locks stay behind on whichever
 * connection ran them. CI runs this file, with the rest, through PgBouncer.
 */
describe('no session state', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ DB_POOL_SIZE: '4' });
  });
  afterAll(() => t.close());

  it('runs through PgBouncer when the run says so (npm run test:pgbouncer), and directly otherwise', async () => {
    const client = new pg.Client({ connectionString: scratchDatabaseUrl() });
    await client.connect();
    try {
      expect(await throughPooler(client)).toBe(process.env.TEST_DATABASE_THROUGH === 'pgbouncer');
    } finally {
      await client.end();
    }
  });

  it('sets its timeouts inside each transaction, and leaves no setting on the connections it used', async () => {
    const transactions = t.app.get(TransactionRunner);
    const inside = await transactions.run((em) =>
      em.query<{ statement: string; lock: string; idle: string }[]>(
        `SELECT current_setting('statement_timeout') AS statement, current_setting('lock_timeout') AS lock,
                current_setting('idle_in_transaction_session_timeout') AS idle`,
      ),
    );
    expect(inside).toEqual([{ statement: '8s', lock: '5s', idle: '30s' }]);

    // What a connection of the server's has when nobody set anything on it.
    const fresh = new pg.Client({ connectionString: scratchDatabaseUrl() });
    await fresh.connect();
    const { rows: defaults } = await fresh.query(`SELECT current_setting('statement_timeout') AS s, current_setting('lock_timeout') AS l`);
    await fresh.end();
    // Every pooled connection, used by transactions at once, is back to those defaults after them.
    await Promise.all(Array.from({ length: 8 }, () => transactions.run((em) => em.query(`SELECT pg_sleep(0.02)`))));
    const after = await Promise.all(
      Array.from({ length: 8 }, () => t.db.query(`SELECT current_setting('statement_timeout') AS s, current_setting('lock_timeout') AS l`)),
    );
    expect(after.flat()).toEqual(Array(8).fill(defaults[0]));
  });
});

describe('migrations through any connection', () => {
  const created: string[] = [];
  const sources: DataSource[] = [];

  async function freshDatabase(): Promise<string> {
    const name = `shelfsync_migrate_${process.pid}_${created.length}_${Math.floor(Math.random() * 1e6)}`;
    created.push(name);
    return ensureDatabase(scratchDatabaseUrl(), name);
  }
  async function open(url: string, extra: (typeof migrations)[number][] = []): Promise<DataSource> {
    const source = new DataSource({
      ...dataSourceOptions(url, { poolSize: 2, connectTimeoutMs: 5_000 }),
      migrations: [...migrations, ...extra],
    });
    sources.push(source);
    return source.initialize();
  }
  afterAll(async () => {
    await Promise.all(sources.filter((s) => s.isInitialized).map((s) => s.destroy()));
    const client = new pg.Client({ connectionString: scratchDatabaseUrl() });
    await client.connect();
    for (const name of created) await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
    await client.end();
  });

  it('lets one of several instances starting at once migrate, applies each migration once, and leaves no lock held', async () => {
    const url = await freshDatabase();
    const instances = await Promise.all(Array.from({ length: 4 }, () => open(url)));
    const logs: string[][] = instances.map(() => []);
    await Promise.all(instances.map((db, i) => runMigrations(db, (line) => logs[i].push(line))));

    const db = instances[0];
    const applied: { name: string; n: number }[] = await db.query(`SELECT name, count(*)::int AS n FROM migrations GROUP BY name ORDER BY name`);
    expect(applied.map((m) => m.n)).toEqual(migrations.map(() => 1));
    expect(applied).toHaveLength(migrations.length);
    const [{ n: routines }] = await db.query(`SELECT count(*)::int AS n FROM shelfsync_routines`);
    expect(routines).toBe(ROUTINE_FILES.length);
    // One instance applied everything; the others found the schema up to date.
    expect(logs.filter((l) => l.some((line) => line.startsWith('applied migrations:')))).toHaveLength(1);
    expect(logs.filter((l) => l.includes('database schema is up to date'))).toHaveLength(3);
    // A session lock taken through a pooler would stay on the server connection that ran it.
    const [{ n: locks }] = await db.query(
      `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    expect(locks).toBe(0);
  });

  it('leaves the schema as it was when a migration fails', async () => {
    class Broken9999999999999 implements MigrationInterface {
      name = 'Broken9999999999999';
      async up(runner: QueryRunner): Promise<void> {
        await runner.query(`CREATE TABLE half_done (id int)`);
        throw new Error('this migration fails half-way');
      }
      async down(): Promise<void> {}
    }
    const url = await freshDatabase();
    const db = await open(url, [Broken9999999999999]);
    // TypeORM tells of the failed migration on the console itself.
    const said = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      await expect(runMigrations(db, () => undefined)).rejects.toThrow('this migration fails half-way');
      expect(said.mock.calls.flat().join(' ')).toContain('Migration "Broken9999999999999" failed');
    } finally {
      said.mockRestore();
    }
    const [tables] = await db.query(
      `SELECT to_regclass('migrations') AS migrations, to_regclass('orders') AS orders, to_regclass('half_done') AS half_done`,
    );
    expect(tables).toEqual({ migrations: null, orders: null, half_done: null });
  });
});
