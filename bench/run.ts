/**
 * `npm run bench`: the flash-sale benchmark (bench/README.md says what and how).
 *
 * For each scenario and round, each target in turn (the order rotating per
 * round) gets a fresh copy of a seeded template database and the same
 * duration: pgbench (the limit), the plain receiver (the peer) and the
 * service. The HTTP targets' answers are checked against their database
 * afterwards. Medians go to a Markdown table per scenario, printed and written
 * to bench/results/<timestamp>.md, with the raw measurements in .json.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem, type as osType } from 'node:os';
import { join } from 'node:path';
import { BenchServer, insertEventPool, readSettings, readState, REPO_ROOT, type DatabaseState, type ServerSettings } from './database.js';
import { drive, OrderFeed, type LoadResult } from './load.js';
import { debianProgram, startPgbouncer } from '../test/support/pgbouncer.js';
import { HTTP_TARGETS, readOptions, type BenchOptions, type HttpTargetName, type Scenario, type Target } from './options.js';
import { perDelivery, watchCpu, type CpuAccount } from './cpu.js';
import { scenarioTable, type Checks, type Measurement } from './report.js';
import {
  DELIVERY_HEADERS_JSON,
  findPgbench,
  pgbenchRun,
  runPgbench,
  sampleRss,
  startPlainReceiver,
  startService,
  stopAllChildren,
  type HttpTarget,
} from './targets.js';

const RESULTS_DIR = join(REPO_ROOT, 'bench/results');
const log = (line: string) => console.log(`[bench] ${line}`);

interface Run {
  options: BenchOptions;
  server: BenchServer;
  pgbench: string | undefined;
  /** Where the HTTP targets' output goes, per target. */
  logFiles: Record<'service' | 'plain', string>;
}

/** The targets in round-robin order, starting one further each round. */
function rotate(targets: Target[], round: number): Target[] {
  const shift = round % targets.length;
  return [...targets.slice(shift), ...targets.slice(0, shift)];
}

async function measure(run: Run, target: Target, scenario: Scenario, round: number): Promise<Measurement> {
  const db = await run.server.freshDatabase();
  try {
    await run.server.checkpoint();
    return target === 'pgbench' ? await measurePgbench(run, db, scenario, round) : await measureHttp(run, target, db, scenario, round);
  } finally {
    await run.server.drop(db.name);
  }
}

type Database = { name: string; url: string };

async function measurePgbench(run: Run, { name, url }: Database, scenario: Scenario, round: number): Promise<Measurement> {
  const pgbench = run.pgbench!;
  if (scenario.dupPct > 0) await insertEventPool(url, DELIVERY_HEADERS_JSON);
  if (run.options.warmup) await pgbenchRun(pgbench, url, scenario, run.options.warmup);
  const watch = watchCpu({ bench: process.pid, targets: [], database: name });
  const result = await runPgbench(pgbench, url, scenario, run.options.duration);
  const cpu = watch.stop();
  const state = await readState(url);
  // Its orders reserve like the others': what is reserved is what pending orders hold.
  const reservedOk = state.reservedUnits === state.pendingUnits;
  return {
    scenario: scenario.name,
    target: 'pgbench',
    round,
    seconds: result.seconds,
    eventsPerSecond: result.eventsPerSecond,
    p50Ms: result.p50Ms,
    p99Ms: result.p99Ms,
    errors: result.errors,
    peakRssMb: null,
    cpu,
    targetCpuUs: perDelivery(cpu?.targetSeconds, result.transactions),
    databaseCpuUs: perDelivery(cpu?.databaseSeconds, result.transactions),
    checks: {
      ok: reservedOk,
      summary: `${result.transactions} transactions; reserved ${state.reservedUnits} ${reservedOk ? '=' : '<>'} pending lines ${state.pendingUnits}`,
    },
    detail: { transactions: result.transactions, state },
  };
}

function hasPgbouncer(): boolean {
  try {
    debianProgram('pgbouncer');
    return true;
  } catch {
    return false;
  }
}

/** `connections` shared out between `n` processes, as evenly as they go. */
function shares(connections: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.floor(connections / n) + (i < connections % n ? 1 : 0));
}

/** The loads driven at once against several processes, as one: answers added up, the worse percentiles. */
function combined(loads: LoadResult[]): LoadResult {
  const sum = (key: 'ok2xx' | 'non2xx' | 'socketErrors' | 'timeouts' | 'errors' | 'eventsPerSecond') => loads.reduce((n, l) => n + l[key], 0);
  return {
    seconds: Math.max(...loads.map((l) => l.seconds)),
    eventsPerSecond: sum('eventsPerSecond'),
    p50Ms: Math.max(...loads.map((l) => l.p50Ms)),
    p99Ms: Math.max(...loads.map((l) => l.p99Ms)),
    errors: sum('errors'),
    ok2xx: sum('ok2xx'),
    non2xx: sum('non2xx'),
    socketErrors: sum('socketErrors'),
    timeouts: sum('timeouts'),
  };
}

async function measureHttp(run: Run, target: HttpTargetName, { name, url }: Database, scenario: Scenario, round: number): Promise<Measurement> {
  const { program, instances, pgbouncer: pooled } = HTTP_TARGETS[target];
  const secret = randomBytes(24).toString('hex');
  const pgbouncer = pooled ? await startPgbouncer(url) : undefined;
  const children: HttpTarget[] = [];
  let load: LoadResult;
  let peakRssMb: number | null;
  let cpu: CpuAccount | null;
  const feed = new OrderFeed(scenario, secret);
  try {
    const settings = {
      databaseUrl: pgbouncer ? pgbouncer.rewrite(url) : url,
      secret,
      logFile: run.logFiles[program],
      banner: `${scenario.name} round ${round} ${target}`,
      profileDir: run.options.profileDir,
    };
    for (let i = 0; i < instances; i++) {
      children.push(program === 'service' ? await startService(settings) : await startPlainReceiver(settings, run.options.plainPrepared));
    }
    const connections = shares(run.options.connections, children.length);
    if (scenario.dupPct > 0) await feed.deliverPool(children[0].url);
    if (run.options.warmup) await Promise.all(children.map((c, i) => drive(c.url, feed, run.options.warmup, connections[i])));
    const rss = children.map((c) => sampleRss(c.pid));
    const watch = watchCpu({ bench: process.pid, targets: children.map((c) => c.pid), database: name });
    load = combined(await Promise.all(children.map((c, i) => drive(c.url, feed, run.options.duration, connections[i]))));
    cpu = watch.stop();
    const peaks = rss.map((r) => r.stop()).filter((mb): mb is number => mb !== null);
    // Per process: the one that grew most.
    peakRssMb = peaks.length ? Math.max(...peaks) : null;
  } finally {
    // SIGTERM lets the requests in flight at the cut-off commit (or not) before the database is read.
    await Promise.all(children.map((c) => c.stop()));
    await pgbouncer?.close();
  }
  const state = await readState(url);
  return {
    scenario: scenario.name,
    target,
    round,
    seconds: load.seconds,
    eventsPerSecond: load.eventsPerSecond,
    p50Ms: load.p50Ms,
    p99Ms: load.p99Ms,
    errors: load.errors,
    peakRssMb,
    cpu,
    targetCpuUs: perDelivery(cpu?.targetSeconds, load.ok2xx),
    databaseCpuUs: perDelivery(cpu?.databaseSeconds, load.ok2xx),
    checks: checkHttp(program, feed, state),
    detail: { load, answers: feed.tally, acknowledged: feed.acknowledged.size, state },
  };
}

/**
 * What the database must hold after an HTTP target's measurement (warm-up,
 * pool and measured load together):
 * - one webhook_events row per event acknowledged, plus at most those whose
 *   answer never came (in flight at a cut-off) or was an error;
 * - reserved units = the quantities of the lines of pending orders;
 * - for the service, which keeps a ledger: counters = the sums of stock_movements;
 * - no answer contradicting the scenario (a resent event processed again, a new one called duplicate).
 */
function checkHttp(target: 'service' | 'plain', feed: OrderFeed, state: DatabaseState): Checks {
  const acked = feed.acknowledged.size;
  const unanswered = feed.tally.sent - feed.tally.answered;
  const most = acked + unanswered + feed.tally.non2xx;
  const eventsOk = state.events >= acked && state.events <= most;
  const reservedOk = state.reservedUnits === state.pendingUnits;
  const ledgerOk = target === 'plain' || state.ledgerMismatches === 0;
  const answersOk = feed.tally.unexpected === 0;
  const parts = [
    `events ${state.events} ${eventsOk ? 'in' : 'NOT in'} [${acked} acknowledged, +${unanswered} unanswered, +${feed.tally.non2xx} errors]`,
    `reserved ${state.reservedUnits} ${reservedOk ? '=' : '<>'} pending lines ${state.pendingUnits}`,
    target === 'service' ? `ledger ${ledgerOk ? 'matches' : `differs on ${state.ledgerMismatches} SKUs`}` : 'no ledger',
    `answers ${JSON.stringify(feed.tally.byStatus)}${answersOk ? '' : `, ${feed.tally.unexpected} UNEXPECTED`}`,
  ];
  return { ok: eventsOk && reservedOk && ledgerOk && answersOk, summary: parts.join('; ') };
}

function describeMachine(settings: ServerSettings, server: BenchServer, pgbenchVersion: string | undefined, options: BenchOptions): string {
  const cpu = cpus();
  return [
    `- CPU: ${cpu[0]?.model ?? 'unknown'}, ${cpu.length} cores (shared by the target, PostgreSQL and the load generator)`,
    `- memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB; ${osType()} ${release()}`,
    `- Node.js ${process.version}; ${pgbenchVersion ?? 'pgbench: not found'}`,
    `- PostgreSQL ${settings.version} (${server.description}): synchronous_commit=${settings.synchronousCommit}, ` +
      `fsync=${settings.fsync}, shared_buffers=${settings.sharedBuffers}, max_connections=${settings.maxConnections}`,
    `- ${options.duration} s per measurement after ${options.warmup} s of warm-up, ${options.rounds} round(s), ` +
      `${options.connections} autocannon connections; targets ${options.targets.join(', ')}; ` +
      `the plain receiver with ${options.plainPrepared ? 'named (prepared) statements' : 'plain parameterised queries'}`,
  ].join('\n');
}

async function main(): Promise<void> {
  const options = readOptions(process.env);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = new Date().toISOString().replace(/:/g, '-').replace(/\..*$/, '');
  const server = await BenchServer.open(log);
  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    log('interrupted: stopping the targets and dropping the databases');
    stopAllChildren();
    void server.close().finally(() => process.exit(130));
  });

  try {
    const pg = findPgbench();
    const pooledTargets = options.targets.filter((t) => t !== 'pgbench' && HTTP_TARGETS[t].pgbouncer);
    if (pooledTargets.length && !hasPgbouncer()) {
      log(`pgbouncer not found (apt-get install -y pgbouncer): measuring without ${pooledTargets.join(', ')}`);
      options.targets = options.targets.filter((t) => !pooledTargets.includes(t));
    }
    if (options.targets.includes('pgbench') && !pg) {
      log('pgbench not found (set PGBENCH or install postgresql-client): measuring without the limit');
      options.targets = options.targets.filter((t) => t !== 'pgbench');
    }
    const settings = await readSettings(server.adminUrl);
    const machine = describeMachine(settings, server, pg?.version, options);
    console.log(`\n## Machine\n\n${machine}\n`);
    await server.buildTemplate(log);

    const run: Run = {
      options,
      server,
      pgbench: pg?.path,
      logFiles: { service: join(RESULTS_DIR, `${stamp}-service.log`), plain: join(RESULTS_DIR, `${stamp}-plain.log`) },
    };
    const measurements: Measurement[] = [];
    for (const scenario of options.scenarios) {
      for (let round = 1; round <= options.rounds; round++) {
        for (const target of rotate(options.targets, round - 1)) {
          if (interrupted) return;
          const m = await measure(run, target, scenario, round);
          measurements.push(m);
          log(
            `${scenario.name} round ${round} ${target}: ${m.eventsPerSecond.toFixed(0)} events/s, ` +
              `p50 ${m.p50Ms.toFixed(1)} ms, p99 ${m.p99Ms.toFixed(1)} ms, errors ${m.errors}` +
              `${m.peakRssMb !== null ? `, peak RSS ${m.peakRssMb} MB` : ''}` +
              `${m.cpu ? `; CPU per delivery: target ${m.targetCpuUs} us, database ${m.databaseCpuUs} us; other processes took ${m.cpu.othersPct}% of the CPU, steal ${m.cpu.stealPct}%` : ''}\n        checks ${m.checks.ok ? 'ok' : 'FAILED'}: ${m.checks.summary}`,
          );
        }
      }
    }

    const tables = options.scenarios.map((s) => scenarioTable(s, measurements, options.targets)).join('\n\n');
    const report = `# shelfsync benchmark, ${stamp}\n\n## Machine\n\n${machine}\n\n## Results\n\n${tables}\n`;
    console.log(`\n## Results\n\n${tables}\n`);
    writeFileSync(join(RESULTS_DIR, `${stamp}.md`), report);
    writeFileSync(join(RESULTS_DIR, `${stamp}.json`), JSON.stringify({ stamp, options, settings, machine, measurements }, null, 2));
    log(`written bench/results/${stamp}.md and .json; targets' logs in bench/results/${stamp}-*.log`);
    if (measurements.some((m) => !m.checks.ok)) {
      log('some correctness checks FAILED (see above)');
      process.exitCode = 1;
    }
  } finally {
    if (!interrupted) await server.close();
  }
}

main().catch((error: unknown) => {
  console.error(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  stopAllChildren();
  process.exit(1);
});
