/**
 * The three targets: the service and the plain receiver as child processes
 * (with their memory sampled), and pgbench running bench/new-order.sql.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './database.js';
import { PGBENCH_CLIENTS, PGBENCH_THREADS, POOL_SIZE, SKU_COUNT, type Scenario } from './options.js';

/** Variables the service or the receiver would read from the caller's environment: each child gets only the bench's. */
const CONFIG_VARIABLE = /^(PORT|DATABASE_URL|NODE_ENV|WEBHOOK_|ADMIN_|DB_|LOG_|TLS_|TRUST_PROXY|MIGRATIONS_RUN)/;

function childEnv(own: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!CONFIG_VARIABLE.test(name)) env[name] = value;
  return { ...env, ...own };
}

export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? ok(address.port) : fail(new Error('no free port'))));
    });
  });
}

/** Children still running, so that an interrupted run can stop them. */
const running = new Set<ChildProcess>();

export function stopAllChildren(): void {
  for (const child of running) child.kill('SIGTERM');
}

export interface HttpTarget {
  url: string;
  pid: number;
  /** Stops it with SIGTERM (it finishes its requests in flight) and waits for its exit. */
  stop(): Promise<void>;
}

export interface HttpTargetSettings {
  databaseUrl: string;
  secret: string;
  /** Its stdout and stderr are appended here. */
  logFile: string;
  /** A line written to the log before it starts, naming the measurement. */
  banner: string;
  /** Run under `node --cpu-prof`, writing the profile into this folder at exit. */
  profileDir?: string;
}

/** `node dist/src/main.js` in production mode, on a free port, with no rate limit. */
export async function startService(settings: HttpTargetSettings): Promise<HttpTarget> {
  const port = await freePort();
  return startNode('dist/src/main.js', port, settings, {
    NODE_ENV: 'production',
    WEBHOOK_SECRET: settings.secret,
    ADMIN_TOKEN: randomBytes(16).toString('hex'),
    WEBHOOK_RATE_LIMIT: '0',
  });
}

/** `node dist/bench/plain-receiver.js` on a free port; `prepared`: with named statements. */
export async function startPlainReceiver(settings: HttpTargetSettings, prepared: boolean): Promise<HttpTarget> {
  const port = await freePort();
  return startNode('dist/bench/plain-receiver.js', port, settings, { WEBHOOK_SECRET: settings.secret, PREPARED_STATEMENTS: String(prepared) });
}

async function startNode(script: string, port: number, settings: HttpTargetSettings, env: Record<string, string>): Promise<HttpTarget> {
  const log = openSync(settings.logFile, 'a');
  writeSync(log, `\n===== ${settings.banner} (${script}, port ${port}) =====\n`);
  const profile = settings.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${settings.profileDir}`] : [];
  const child = spawn(process.execPath, [...profile, script], {
    cwd: REPO_ROOT,
    env: childEnv({ ...env, PORT: String(port), DATABASE_URL: settings.databaseUrl }),
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  running.add(child);
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  void exited.then(() => running.delete(child));
  const url = `http://127.0.0.1:${port}`;
  await waitHealthy(url, child, settings.logFile);
  return {
    url,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** Until GET /health answers 200; fails when the child exits first or takes over a minute. */
async function waitHealthy(url: string, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const tail = readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n');
      throw new Error(`the target exited (${child.exitCode ?? child.signalCode}) before it was healthy; its log ends:\n${tail}`);
    }
    const healthy = await fetch(`${url}/health`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (healthy) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`the target at ${url} was not healthy within 60 s (see ${logFile})`);
}

/** Peak resident memory of a process, sampled from /proc every 250 ms (Linux only; null elsewhere). */
export function sampleRss(pid: number): { stop(): number | null } {
  const file = `/proc/${pid}/status`;
  if (!existsSync(file)) return { stop: () => null };
  let peakKb = 0;
  const sample = () => {
    try {
      const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(file, 'utf8'));
      if (match) peakKb = Math.max(peakKb, Number(match[1]));
    } catch {
      // the process is gone: keep the peak seen
    }
  };
  sample();
  const timer = setInterval(sample, 250);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return Math.round(peakKb / 1024);
    },
  };
}

/** pgbench from PGBENCH, the PATH, or Debian's PostgreSQL folders; undefined when there is none. */
export function findPgbench(): { path: string; version: string } | undefined {
  const candidates = [process.env.PGBENCH, 'pgbench'];
  if (existsSync('/usr/lib/postgresql')) {
    for (const version of readdirSync('/usr/lib/postgresql').sort().reverse()) candidates.push(`/usr/lib/postgresql/${version}/bin/pgbench`);
  }
  for (const path of candidates) {
    if (!path) continue;
    const probe = spawnSync(path, ['--version'], { encoding: 'utf8' });
    if (probe.status === 0) return { path, version: probe.stdout.trim() };
  }
  return undefined;
}

/** The headers an HTTP delivery carries, as pgbench's rows store them (the service keeps a delivery's headers). */
export const DELIVERY_HEADERS_JSON = JSON.stringify({
  host: '127.0.0.1:3000',
  connection: 'keep-alive',
  'content-type': 'application/json',
  'x-signature': 'f'.repeat(64),
  'content-length': '260',
});

export interface PgbenchResult {
  seconds: number;
  eventsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Failed transactions plus clients aborted. */
  errors: number;
  transactions: number;
}

/**
 * bench/new-order.sql for `seconds` on `databaseUrl`: 32 clients, 2 threads,
 * prepared statements. Throughput is pgbench's tps; latencies come from its
 * per-transaction log (third column: microseconds).
 */
export async function runPgbench(pgbench: string, databaseUrl: string, scenario: Scenario, seconds: number): Promise<PgbenchResult> {
  const logDir = mkdtempSync(join(tmpdir(), 'shelfsync-pgbench-'));
  try {
    const output = await pgbenchRun(pgbench, databaseUrl, scenario, seconds, join(logDir, 'tx'));
    const number = (pattern: RegExp) => Number(pattern.exec(output)?.[1] ?? NaN);
    const tps = number(/^tps = ([\d.]+) \(without initial connection time\)/m);
    if (!Number.isFinite(tps)) throw new Error(`pgbench printed no tps:\n${output}`);
    const failed = number(/^number of failed transactions: (\d+)/m);
    const aborted = (output.match(/^client \d+ aborted/gm) ?? []).length;
    const latencies = readdirSync(logDir)
      .flatMap((file) => readFileSync(join(logDir, file), 'utf8').split('\n'))
      .map((line) => Number(line.split(' ')[2]))
      .filter((us) => Number.isFinite(us))
      .sort((a, b) => a - b);
    return {
      seconds,
      eventsPerSecond: tps,
      p50Ms: percentile(latencies, 50) / 1000,
      p99Ms: percentile(latencies, 99) / 1000,
      errors: (Number.isFinite(failed) ? failed : 0) + aborted,
      transactions: number(/^number of transactions actually processed: (\d+)/m),
    };
  } finally {
    rmSync(logDir, { recursive: true, force: true });
  }
}

/** One pgbench run (a warm-up when logPrefix is undefined); resolves with its output. */
export function pgbenchRun(pgbench: string, databaseUrl: string, scenario: Scenario, seconds: number, logPrefix?: string): Promise<string> {
  const variables = {
    skus: SKU_COUNT,
    hot_skus: scenario.hotSkus,
    hot_pct: scenario.hotPct,
    dup_pct: scenario.dupPct,
    pool: POOL_SIZE,
    headers: DELIVERY_HEADERS_JSON,
  };
  const args = [
    '-n',
    ...['-M', 'prepared', '-c', String(PGBENCH_CLIENTS), '-j', String(PGBENCH_THREADS), '-T', String(seconds)],
    ...['-f', join(REPO_ROOT, 'bench/new-order.sql')],
    ...Object.entries(variables).flatMap(([name, value]) => ['-D', `${name}=${value}`]),
    ...(logPrefix ? ['-l', '--log-prefix', logPrefix] : []),
    databaseUrl,
  ];
  return new Promise((ok, fail) => {
    const child = spawn(pgbench, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', fail);
    child.on('exit', (code) => {
      running.delete(child);
      // Exit 2 is a run with aborted clients: its numbers are still reported (as errors).
      if (code === 0 || (code === 2 && /^tps = /m.test(output))) ok(output);
      else fail(new Error(`pgbench exited with ${code}:\n${output}`));
    });
  });
}

/** Nearest-rank percentile of sorted values (NaN when empty). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
