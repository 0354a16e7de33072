/** What a benchmark run measures, read from BENCH_* variables (see bench/README.md). */
import { resolve } from 'node:path';

export const TARGETS = ['pgbench', 'plain', 'service', 'service-pgbouncer', 'service-pgbouncer-x2'] as const;
export type Target = (typeof TARGETS)[number];
export type HttpTargetName = Exclude<Target, 'pgbench'>;

/**
 * How each HTTP target runs: how many processes share the load (its
 * connections split between them), and whether they reach the database
 * through a PgBouncer in transaction pooling mode (defaults otherwise),
 * started for the measurement in front of the same server.
 */
export const HTTP_TARGETS: Record<HttpTargetName, { program: 'service' | 'plain'; instances: number; pgbouncer: boolean }> = {
  plain: { program: 'plain', instances: 1, pgbouncer: false },
  service: { program: 'service', instances: 1, pgbouncer: false },
  'service-pgbouncer': { program: 'service', instances: 1, pgbouncer: true },
  'service-pgbouncer-x2': { program: 'service', instances: 2, pgbouncer: true },
};

export interface Scenario {
  name: 'uniform' | 'hot' | 'duplicates';
  /** One line for the report. */
  title: string;
  /** SKU-0001..SKU-<hotSkus> form the hot set (0: none). */
  hotSkus: number;
  /** Percent of SKU picks that go to the hot set; the others are uniform over the rest. */
  hotPct: number;
  /** Percent of deliveries that resend one of the pooled events (a gateway's redelivery). */
  dupPct: number;
}

export const SCENARIOS: Scenario[] = [
  { name: 'uniform', title: 'uniform: SKUs picked uniformly among 1,000', hotSkus: 0, hotPct: 0, dupPct: 0 },
  { name: 'hot', title: 'hot: flash sale, 90% of SKU picks among 5 SKUs', hotSkus: 5, hotPct: 90, dupPct: 0 },
  { name: 'duplicates', title: 'duplicates: 30% of deliveries resend one of 1,000 earlier events', hotSkus: 0, hotPct: 0, dupPct: 30 },
];

/** SKUs seeded, SKU-0001..SKU-1000. */
export const SKU_COUNT = 1_000;
/** On hand per seeded SKU: far more than any run reserves, so every order is a real reservation. */
export const SEED_ON_HAND = 10_000_000;
/** Events delivered before a duplicates measurement, then resent during it. */
export const POOL_SIZE = 1_000;
/** pgbench clients and threads (the reference). */
export const PGBENCH_CLIENTS = 32;
export const PGBENCH_THREADS = 2;

export interface BenchOptions {
  /** Seconds per measurement. */
  duration: number;
  /** Seconds of load before each measurement, not counted. */
  warmup: number;
  rounds: number;
  scenarios: Scenario[];
  /** autocannon connections (service and plain). */
  connections: number;
  targets: Target[];
  /** The plain receiver names its statements, so `pg` prepares them once per connection (default: plain queries). */
  plainPrepared: boolean;
  /** A folder: the HTTP targets run under `node --cpu-prof` and write their profiles there (`node dist/bench/profile.js` reads them). */
  profileDir: string | undefined;
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 1): number {
  const text = env[name]?.trim();
  if (!text) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer >= ${min}, not "${text}"`);
  return value;
}

function flag(env: NodeJS.ProcessEnv, name: string): boolean {
  const text = env[name]?.trim().toLowerCase() ?? '';
  if (!['', 'true', 'false', '1', '0'].includes(text)) throw new Error(`${name} must be true or false, not "${text}"`);
  return text === 'true' || text === '1';
}

function list<T extends string>(env: NodeJS.ProcessEnv, name: string, allowed: readonly T[]): T[] {
  const text = env[name]?.trim();
  if (!text) return [...allowed];
  const names = text.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !allowed.includes(n as T));
  if (unknown.length || names.length === 0) {
    throw new Error(`${name}: unknown ${unknown.join(', ') || '(empty)'}; choose among ${allowed.join(', ')}`);
  }
  // In the canonical order, each once.
  return allowed.filter((a) => names.includes(a));
}

export function readOptions(env: NodeJS.ProcessEnv): BenchOptions {
  const scenarioNames = list(
    env,
    'BENCH_SCENARIOS',
    SCENARIOS.map((s) => s.name),
  );
  return {
    duration: positiveInt(env, 'BENCH_DURATION', 10),
    warmup: positiveInt(env, 'BENCH_WARMUP', 2, 0),
    rounds: positiveInt(env, 'BENCH_ROUNDS', 2),
    scenarios: SCENARIOS.filter((s) => scenarioNames.includes(s.name)),
    connections: positiveInt(env, 'BENCH_CONNECTIONS', 64),
    targets: list(env, 'BENCH_TARGETS', TARGETS),
    plainPrepared: flag(env, 'BENCH_PLAIN_PREPARED'),
    profileDir: env.BENCH_PROFILE_DIR?.trim() ? resolve(env.BENCH_PROFILE_DIR.trim()) : undefined,
  };
}
