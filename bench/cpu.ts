/**
 * Where the machine's CPU went during a measurement, from /proc (Linux only;
 * elsewhere it reports null):
 * - the **target**: the processes under test (the service's or the plain
 *   receiver's Node processes; pgbench itself for the limit), all threads;
 * - the **database**: PostgreSQL's background processes and its backends
 *   serving the measurement's database, and PgBouncer for the pooled targets;
 * - **others**: everything but those, the bench itself (the load generator)
 *   and backends of other databases (a test suite's, say). On a 2-core
 *   machine shared by the target, the database and the load generator, a
 *   test suite or a build running alongside skews every figure, so each
 *   measurement says how quiet the machine was;
 * - on a virtual machine, how much CPU time the hypervisor stole (gave to
 *   other machines), which no process here shows.
 *
 * /proc is read at the start, every SAMPLE_MS and at the end; a process is
 * counted up to its last reading, from zero when it started after the first
 * (its whole life is inside the measurement). A process that exits loses at
 * most SAMPLE_MS of its time: pgbench and its backends, which stop with the
 * measurement, are undercounted by at most 2.5% of a 10 s run; the HTTP
 * targets and their pooled backends live through it, so theirs are exact to a
 * clock tick. The others' share is a lower bound: good enough to flag a busy
 * machine.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';

const SAMPLE_MS = 250;

/** Linux's USER_HZ: /proc reports CPU times in hundredths of a second on every architecture Node runs on. */
const TICKS_PER_SECOND = 100;

/**
 * A PostgreSQL client backend's process title: "postgres: [cluster: ]user database host(port) state".
 * Background processes ("postgres: 15/main: walwriter") do not match.
 */
const BACKEND_TITLE = /^postgres: (?:\S+: )?\S+ (\S+) (?:\[local\]|\S+\(\d+\))/;

type Share = 'target' | 'database' | 'bench' | 'other' | 'ignored';

function shareOf(pid: number, command: string, who: Who): Share {
  if (pid === who.bench) return 'bench';
  if (who.targets.includes(pid)) return 'target';
  if (command === 'pgbouncer') return 'database';
  // pgbench is a target when it is the one measured; otherwise a stray one is somebody else's load.
  if (command === 'pgbench') return who.targets.length === 0 ? 'target' : 'other';
  if (command !== 'postgres') return 'other';
  const title = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  const backendOf = BACKEND_TITLE.exec(title)?.[1];
  return backendOf === undefined || backendOf === who.database ? 'database' : 'ignored';
}

interface Snapshot {
  /** Jiffies of all CPUs, idle included (/proc/stat's `cpu` line). */
  total: number;
  /** Jiffies the hypervisor gave to other machines while this one wanted to run. */
  steal: number;
  /** CPU ticks (user + system) of each process seen, by pid, with its share. */
  processes: Map<number, { share: Share; ticks: number }>;
}

function take(who: Who, shares: Map<number, Share>): Snapshot {
  // user nice system idle iowait irq softirq steal (then guest times, already counted in user and nice)
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).slice(1, 9).map(Number);
  const total = cpu.reduce((sum, jiffies) => sum + (jiffies || 0), 0);
  const steal = cpu[7] || 0;
  const processes = new Map<number, { share: Share; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // "pid (comm) state ppid ...": comm may hold spaces, so split after its closing parenthesis.
      const command = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      // A process's share does not change (a backend serves one database), so its title is read once.
      const share = shares.get(pid) ?? shareOf(pid, command, who);
      shares.set(pid, share);
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after "state".
      processes.set(pid, { share, ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // gone since readdir
    }
  }
  return { total, steal, processes };
}

export interface CpuAccount {
  /** CPU time of other processes, in percent of the whole machine's. */
  othersPct: number;
  /** CPU time stolen by the hypervisor (a virtual machine's neighbours), in percent of the whole machine's. */
  stealPct: number;
  /** CPU seconds the target's processes used (user + system), and the database's (PostgreSQL, PgBouncer), and the bench's. */
  targetSeconds: number;
  databaseSeconds: number;
  benchSeconds: number;
}

export interface Who {
  /** The bench's own pid (the load generator). */
  bench: number;
  /** The pids under test; none when pgbench is the target. */
  targets: number[];
  /** The measurement's database: its backends are the database's share, other databases' are not counted. */
  database: string;
}

/** Starts counting; stop() says where the CPU went meanwhile (null off Linux). */
export function watchCpu(who: Who): { stop(): CpuAccount | null } {
  if (!existsSync('/proc/stat')) return { stop: () => null };
  const shares = new Map<number, Share>();
  const before = take(who, shares);
  // Each process's latest reading, so that one which exits before the end still counts.
  const latest = new Map(before.processes);
  const sample = () => {
    const now = take(who, shares);
    for (const [pid, reading] of now.processes) latest.set(pid, reading);
    return now;
  };
  const timer = setInterval(sample, SAMPLE_MS);
  return {
    stop: () => {
      clearInterval(timer);
      const after = sample();
      const used: Record<Share, number> = { target: 0, database: 0, bench: 0, other: 0, ignored: 0 };
      for (const [pid, { share, ticks }] of latest) used[share] += ticks - (before.processes.get(pid)?.ticks ?? 0);
      const elapsed = after.total - before.total;
      const percent = (jiffies: number) => Math.round((1000 * jiffies) / elapsed) / 10;
      if (elapsed <= 0) return null;
      return {
        othersPct: percent(used.other),
        stealPct: percent(after.steal - before.steal),
        targetSeconds: used.target / TICKS_PER_SECOND,
        databaseSeconds: used.database / TICKS_PER_SECOND,
        benchSeconds: used.bench / TICKS_PER_SECOND,
      };
    },
  };
}

/** Microseconds of CPU per delivery (or transaction), or null when nothing was counted. */
export function perDelivery(seconds: number | undefined, deliveries: number): number | null {
  return seconds === undefined || deliveries <= 0 ? null : Math.round((seconds * 1e6) / deliveries);
}
