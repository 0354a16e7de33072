/** Medians of the measurements, per scenario and target, as Markdown. */
import type { CpuAccount } from './cpu.js';
import type { Scenario, Target } from './options.js';

export interface Checks {
  ok: boolean;
  /** One line saying what was compared, e.g. "events 1234 in [1230, 1298]; reserved 1850 = pending 1850; ledger ok". */
  summary: string;
}

export interface Measurement {
  scenario: Scenario['name'];
  target: Target;
  round: number;
  seconds: number;
  eventsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** Peak resident memory of the target's process during the measurement (HTTP targets, Linux). */
  peakRssMb: number | null;
  /** Where the machine's CPU went during the measurement (bench/cpu.ts). */
  cpu: CpuAccount | null;
  /** CPU microseconds (user + system) per 2xx answer (pgbench: per transaction) of the target's processes, and of the database's. */
  targetCpuUs: number | null;
  databaseCpuUs: number | null;
  checks: Checks;
  /** Everything else worth keeping in the JSON (answer tallies, database state, pgbench counts). */
  detail: Record<string, unknown>;
}

export interface Summary {
  target: Target;
  rounds: number[];
  eventsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Added up over the rounds. */
  errors: number;
  /** The highest over the rounds. */
  peakRssMb: number | null;
  /** Medians over the rounds of the CPU microseconds per delivery, the target's and the database's. */
  targetCpuUs: number | null;
  databaseCpuUs: number | null;
  /** The highest over the rounds, of the others' and the stolen share (percent). */
  otherCpuPct: number | null;
  stealPct: number | null;
  checksOk: boolean;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function summarise(measurements: Measurement[], target: Target): Summary | undefined {
  const mine = measurements.filter((m) => m.target === target);
  if (mine.length === 0) return undefined;
  const highest = (values: (number | null)[]) => {
    const known = values.filter((v): v is number => v !== null);
    return known.length ? Math.max(...known) : null;
  };
  const middle = (values: (number | null)[]) => {
    const known = values.filter((v): v is number => v !== null);
    return known.length ? median(known) : null;
  };
  return {
    target,
    rounds: mine.map((m) => m.eventsPerSecond),
    eventsPerSecond: median(mine.map((m) => m.eventsPerSecond)),
    p50Ms: median(mine.map((m) => m.p50Ms)),
    p99Ms: median(mine.map((m) => m.p99Ms)),
    errors: mine.reduce((sum, m) => sum + m.errors, 0),
    peakRssMb: highest(mine.map((m) => m.peakRssMb)),
    targetCpuUs: middle(mine.map((m) => m.targetCpuUs)),
    databaseCpuUs: middle(mine.map((m) => m.databaseCpuUs)),
    otherCpuPct: highest(mine.map((m) => m.cpu?.othersPct ?? null)),
    stealPct: highest(mine.map((m) => m.cpu?.stealPct ?? null)),
    checksOk: mine.every((m) => m.checks.ok),
  };
}

/** Issue 15's targets, per scenario: throughput against the limit and the peer, CPU per delivery against the peer's, p99, RSS. */
const GOALS: Record<Scenario['name'], { pgbench?: number; plain?: number; cpuVsPlain?: number; p99Ms?: number; rssMb?: number }> = {
  uniform: { pgbench: 0.8, plain: 2, cpuVsPlain: 0.5, p99Ms: 50, rssMb: 200 },
  hot: { pgbench: 1.5, p99Ms: 50, rssMb: 200 },
  duplicates: {},
};

/** Above this share of the CPU taken by unrelated processes, a scenario's figures are flagged as disturbed. */
const BUSY_PCT = 5;

const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

/** One scenario: a table of the targets' medians, then the service's ratios to the limit and to the peer. */
export function scenarioTable(scenario: Scenario, measurements: Measurement[], targets: Target[]): string {
  const mine = measurements.filter((m) => m.scenario === scenario.name);
  const rows = targets.map((t) => summarise(mine, t)).filter((s): s is Summary => s !== undefined);
  const lines = [
    `### ${scenario.title}`,
    '',
    '| target | events/s (median) | per round | p50 ms | p99 ms | errors | peak RSS MB | CPU us / delivery | database CPU us / delivery | checks | other CPU % | steal % |',
    '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |',
    ...rows.map(
      (s) =>
        `| ${s.target} | ${fixed(s.eventsPerSecond, 0)} | ${s.rounds.map((r) => fixed(r, 0)).join(', ')} | ${fixed(s.p50Ms, 1)} | ` +
        `${fixed(s.p99Ms, 1)} | ${s.errors} | ${s.peakRssMb ?? '-'} | ${s.targetCpuUs ?? '-'} | ${s.databaseCpuUs ?? '-'} | ` +
        `${s.checksOk ? 'ok' : '**FAILED**'} | ${s.otherCpuPct ?? '-'} | ${s.stealPct ?? '-'} |`,
    ),
  ];
  const service = rows.find((s) => s.target === 'service');
  if (service) {
    const goals = GOALS[scenario.name];
    const figures: string[] = [];
    /** A figure, and against its goal when the scenario has one: at least (>=) or below (<=, <). */
    const report = (label: string, value: number, goal: number | undefined, kind: '>=' | '<=' | '<', digits = 2) => {
      const met = kind === '>=' ? value >= goal! : kind === '<=' ? value <= goal! : value < goal!;
      figures.push(`${label} **${fixed(value, digits)}**${goal === undefined ? '' : ` (goal ${kind} ${goal}: ${met ? 'met' : '**not met**'})`}`);
    };
    for (const peer of ['pgbench', 'plain'] as const) {
      const other = rows.find((s) => s.target === peer);
      if (other) report(`service / ${peer} =`, service.eventsPerSecond / other.eventsPerSecond, goals[peer], '>=');
    }
    const plain = rows.find((s) => s.target === 'plain');
    if (plain?.targetCpuUs && service.targetCpuUs !== null) {
      report("service CPU per delivery / plain's =", service.targetCpuUs / plain.targetCpuUs, goals.cpuVsPlain, '<=');
    }
    report('service p99 ms', service.p99Ms, goals.p99Ms, '<', 1);
    if (service.peakRssMb !== null) report('service peak RSS MB', service.peakRssMb, goals.rssMb, '<', 0);
    lines.push('', figures.join('; '));
  }
  // What the pooler costs (or, with two instances, what a second one adds), against the direct connection.
  const pooled = rows.filter((s) => s.target.startsWith('service-'));
  if (service && pooled.length) {
    lines.push('', pooled.map((s) => `${s.target} / service = **${fixed(s.eventsPerSecond / service.eventsPerSecond, 2)}**`).join('; '));
  }
  const busiest = Math.max(...rows.map((s) => Math.max(s.otherCpuPct ?? 0, s.stealPct ?? 0)));
  if (busiest > BUSY_PCT) {
    lines.push(
      '',
      `**Disturbed**: other processes (or the hypervisor) took up to ${busiest}% of the machine's CPU during a measurement; ` +
        'run it again on an idle machine.',
    );
  }
  return lines.join('\n');
}
