import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './service-process.js';

/** A program from Debian's packages, on PATH or where Debian puts it; a clear failure when it is not installed. */
export function debianProgram(name: string, packageName = name): string {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin', '/sbin']) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  throw new Error(`${name} is not installed: apt-get install -y ${packageName} (.ci/run installs it when missing)`);
}

/** Resolves once something accepts TCP connections on 127.0.0.1:`port`. */
export async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  for (const until = Date.now() + timeoutMs; ; ) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > until) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** PgBouncer refuses to run as root; as root it is started as this user (which must exist). */
function unprivilegedUser(): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const user of ['postgres', 'nobody']) {
    try {
      execFileSync('id', ['-u', user], { stdio: 'ignore' });
      return user;
    } catch {
      // not on this machine
    }
  }
  throw new Error('running as root, and neither user postgres nor nobody exists to run PgBouncer as');
}

export interface Pgbouncer {
  port: number;
  /** `serverUrl` with PgBouncer's address in place of the server's: the same database, through the pooler. */
  rewrite(serverUrl: string): string;
  output(): string;
  /** PgBouncer's immediate shutdown (every client and server connection closes), and the wait for its exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port, with the same configuration. */
  start(): Promise<void>;
  /** Stops it for good and removes its configuration. */
  close(): Promise<void>;
}

/**
 * A real PgBouncer (Debian's package, 1.18 or newer) in transaction pooling
 * mode, in front of the server of `serverUrl`, with PgBouncer's defaults for
 * everything else (default_pool_size 20, max_client_conn 100, no
 * ignore_startup_parameters): the setup the contract promises to work with.
 * Any database name is passed through to the server (`* =`). Clients log in
 * to PgBouncer with SCRAM and `clientPassword` when one is given (as in
 * docker-compose.yml), without a password otherwise; PgBouncer logs in to the
 * server with the URL's user and password.
 */
export async function startPgbouncer(serverUrl: string, options: { clientPassword?: string } = {}): Promise<Pgbouncer> {
  const binary = debianProgram('pgbouncer');
  // Immediate shutdown: SIGTERM up to 1.22; from 1.23 SIGTERM waits for every client to leave, and SIGQUIT is immediate.
  const [major, minor] = (/PgBouncer (\d+)\.(\d+)/.exec(execFileSync(binary, ['--version'], { encoding: 'utf8' })) ?? ['', '1', '18'])
    .slice(1)
    .map(Number);
  const immediate: NodeJS.Signals = major > 1 || minor >= 23 ? 'SIGQUIT' : 'SIGTERM';
  const server = new URL(serverUrl);
  const user = decodeURIComponent(server.username || 'postgres');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'shelfsync-pgbouncer-'));
  chmodSync(dir, 0o755);
  const password = server.password ? ` password=${decodeURIComponent(server.password)}` : '';
  const ini = join(dir, 'pgbouncer.ini');
  writeFileSync(
    ini,
    [
      '[databases]',
      `* = host=${server.hostname.replace(/^\[|\]$/g, '')} port=${server.port || 5432} user=${user}${password}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      options.clientPassword ? 'auth_type = scram-sha-256' : 'auth_type = trust',
      `auth_file = ${join(dir, 'userlist.txt')}`,
      'pool_mode = transaction',
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'userlist.txt'), `"${user}" "${options.clientPassword ?? ''}"\n`);
  chmodSync(ini, 0o644);
  chmodSync(join(dir, 'userlist.txt'), 0o644);
  const runAs = unprivilegedUser();

  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let output = '';
  const start = async () => {
    child = spawn(binary, [...(runAs ? ['-u', runAs] : []), ini], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const running = child;
    exited = new Promise((resolve) => running.once('exit', () => resolve()));
    await Promise.race([
      waitForPort(port),
      exited.then(() => {
        throw new Error(`pgbouncer exited at start:\n${output}`);
      }),
    ]);
  };
  const stop = async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill(immediate);
    await exited;
  };
  await start();
  return {
    port,
    rewrite(url) {
      const through = new URL(url);
      through.hostname = '127.0.0.1';
      through.port = String(port);
      through.password = options.clientPassword ? encodeURIComponent(options.clientPassword) : '';
      return through.toString();
    },
    output: () => output,
    stop,
    start,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
