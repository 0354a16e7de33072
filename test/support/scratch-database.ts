import { afterAll, beforeAll } from '@jest/globals';
import pg from 'pg';
import { ensureDatabase } from '../../src/database/database-url.js';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres.js';
import { TEST_EMBEDDED_DIR } from './embedded-test-server.js';
import { type Pgbouncer, startPgbouncer } from './pgbouncer.js';

/**
 * Runs before every test file (jest `setupFilesAfterEnv`): the file gets a
 * scratch database of its own, created here and dropped after it. It lives on
 * the server of DATABASE_URL when that is set, otherwise on an embedded
 * PostgreSQL in .data/test-pg that the first file starts (its owner file
 * names this jest process) and the global teardown stops. A developer's own database is never touched.
 *
 * With TEST_DATABASE_THROUGH=pgbouncer (`npm run test:pgbouncer`), the file
 * reaches its database only through a PgBouncer in transaction pooling mode
 * with its default settings, started for the file: the service, and the
 * test's own connections, as a deployment behind such a pooler would.
 */
let serverUrl: string | undefined;
let scratchUrl: string | undefined;
let scratchName: string | undefined;
let pgbouncer: Pgbouncer | undefined;

export function scratchDatabaseUrl(): string {
  if (!scratchUrl) throw new Error('the scratch database is created in beforeAll; use it from there on');
  return scratchUrl;
}

beforeAll(async () => {
  serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const embedded = await startEmbeddedPostgres(TEST_EMBEDDED_DIR, () => undefined);
    serverUrl = embedded.url;
  }
  scratchName = `shelfsync_test_${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  scratchUrl = await ensureDatabase(serverUrl, scratchName);
  const through = process.env.TEST_DATABASE_THROUGH;
  if (through === 'pgbouncer') {
    pgbouncer = await startPgbouncer(serverUrl);
    scratchUrl = pgbouncer.rewrite(scratchUrl);
  } else if (through) {
    throw new Error(`TEST_DATABASE_THROUGH=${through}: the only pooler the tests know is pgbouncer`);
  }
});

afterAll(async () => {
  await pgbouncer?.close();
  if (!serverUrl || !scratchName) return;
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(scratchName)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
});
