/**
 * How much of the machine's CPU other processes took during a measurement:
 * everything but this process, the target, pgbench, PgBouncer, PostgreSQL's own
 * background processes and its backends serving the measurement's database
 * (backends of other databases, such as a test suite's, are others). On a
 * 2-core machine shared by the target, the database and the load generator,
 * a test suite or a build running alongside skews every figure, so each
 * measurement says how quiet the machine was. Linux only (/proc); elsewhere
 * it reports null. On a virtual machine it also says how much CPU time the
 * hypervisor stole (gave to other machines), which no process here shows.
 *
 * Processes that start and exit within the measurement are not seen, so this
 * is a lower bound: good enough to flag a busy machine, not an exact account.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/**
 * A PostgreSQL client backend's process title: "postgres: [cluster: ]user database host(port) state".
 * Background processes ("postgres: 15/main: walwriter") do not match.
 */
const BACKEND_TITLE = /^postgres: (?:\S+: )?\S+ (\S+) (?:\[local\]|\S+\(\d+\))/;

/**
 * Whether a process works for the measurement on `database`: pgbench, PgBouncer (the pooled targets'),
 * or PostgreSQL other than another database's backend.
 */
function isMeasured(pid: number, command: string, database: string): boolean {
  if (command === 'pgbench' || command === 'pgbouncer') return true;
  if (command !== 'postgres') return false;
  const title = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  const backendOf = BACKEND_TITLE.exec(title)?.[1];
  return backendOf === undefined || backendOf === database;
}

interface Snapshot {
  /** Jiffies of all CPUs, idle included (/proc/stat's `cpu` line). */
  total: number;
  /** Jiffies the hypervisor gave to other machines while this one wanted to run. */
  steal: number;
  /** CPU jiffies (user + system) of each process not part of the measurement, by pid. */
  others: Map<number, number>;
}

function take(ours: number[], database: string): Snapshot {
  // user nice system idle iowait irq softirq steal (then guest times, already counted in user and nice)
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).slice(1, 9).map(Number);
  const total = cpu.reduce((sum, jiffies) => sum + (jiffies || 0), 0);
  const steal = cpu[7] || 0;
  const others = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || ours.includes(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // "pid (comm) state ppid ...": comm may hold spaces, so split after its closing parenthesis.
      const command = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (isMeasured(pid, command, database)) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after "state".
      others.set(pid, Number(fields[11]) + Number(fields[12]));
    } catch {
      // gone since readdir
    }
  }
  return { total, steal, others };
}

export interface OtherLoad {
  /** CPU time of other processes, in percent of the whole machine's. */
  othersPct: number;
  /** CPU time stolen by the hypervisor (a virtual machine's neighbours), in percent of the whole machine's. */
  stealPct: number;
}

/**
 * Starts counting, `ours` being the pids of the bench and the target and
 * `database` the measurement's; stop() says how much of the machine others
 * took meanwhile (null off Linux).
 */
export function watchOtherLoad(ours: number[], database: string): { stop(): OtherLoad | null } {
  if (!existsSync('/proc/stat')) return { stop: () => null };
  const before = take(ours, database);
  return {
    stop: () => {
      const after = take(ours, database);
      let used = 0;
      for (const [pid, jiffies] of after.others) used += jiffies - (before.others.get(pid) ?? 0);
      const elapsed = after.total - before.total;
      const percent = (jiffies: number) => Math.round((1000 * jiffies) / elapsed) / 10;
      return elapsed > 0 ? { othersPct: percent(used), stealPct: percent(after.steal - before.steal) } : null;
    },
  };
}
