import pg from 'pg';
import type { AppConfig } from '../config/app-config.js';
import { startEmbeddedPostgres, type EmbeddedServer } from './embedded-postgres.js';

export const EMBEDDED_DIR = '.data/pg';
const EMBEDDED_DATABASE = 'shelfsync';

/** The embedded server this process uses, if any (one per process). */
let embeddedInUse: EmbeddedServer | undefined;

export function embeddedServerInUse(): EmbeddedServer | undefined {
  return embeddedInUse;
}

/**
 * DATABASE_URL when it is set; otherwise the embedded PostgreSQL in .data/pg
 * (started, or joined when already running) with its `shelfsync` database.
 */
export async function resolveDatabaseUrl(
  config: Pick<AppConfig, 'databaseUrl'>,
  log: (line: string) => void,
): Promise<{ url: string; embedded?: EmbeddedServer }> {
  if (config.databaseUrl) {
    log(`using the database of DATABASE_URL: ${describeUrl(config.databaseUrl)}`);
    return { url: config.databaseUrl };
  }
  const embedded = await startEmbeddedPostgres(EMBEDDED_DIR, log);
  embeddedInUse = embedded;
  const url = await ensureDatabase(embedded.url, EMBEDDED_DATABASE);
  return { url, embedded };
}

/** Creates `name` on the server of `serverUrl` when missing; returns its URL. */
export async function ensureDatabase(serverUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } catch (error) {
    // Two processes creating it at once: the loser sees a duplicate.
    if ((error as { code?: string }).code !== '42P04' && (error as { code?: string }).code !== '23505') throw error;
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** host:port/database of a connection string, without its credentials (for logs). */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
  } catch {
    return '(unparsable URL)';
  }
}
