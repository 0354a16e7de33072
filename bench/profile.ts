/**
 * `node dist/bench/profile.js <file.cpuprofile | folder> [top]`: where a CPU
 * profile written by `node --cpu-prof` (BENCH_PROFILE_DIR) spent its time.
 *
 * Prints, as shares of the samples' time:
 * - by **area**: the service's own code, each npm package, Node's internals,
 *   garbage collection, the idle loop, native code not attributed to
 *   JavaScript; inclusive (a sample counts once for each area on its stack)
 *   and self (the area of the frame on top);
 * - the **functions with the most self time** (the frame on top of the stack).
 *
 * The idle share is the event loop waiting (for the database, for requests);
 * everything else is CPU the process spent.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Which part of the program a frame belongs to. */
function areaOf(frame: ProfileNode['callFrame']): string {
  const { functionName, url } = frame;
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(program)') return 'native (program)';
  if (functionName === '(root)') return 'root';
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + 'node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const src = url.indexOf('/dist/src/');
  if (src >= 0) return `shelfsync ${url.slice(src + '/dist/src/'.length).split('/')[0]}`;
  return url ? 'other' : 'native';
}

function frameName(frame: ProfileNode['callFrame']): string {
  const where = frame.url ? `${frame.url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${frame.lineNumber + 1}` : '';
  return `${frame.functionName || '(anonymous)'} ${where}`.trim();
}

function filesOf(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(path, f));
}

function summarise(files: string[], top: number): string {
  const inclusive = new Map<string, number>();
  const self = new Map<string, number>();
  const selfByArea = new Map<string, number>();
  let total = 0;
  for (const file of files) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
    // The areas on each node's stack, computed once per node.
    const areasOf = new Map<number, Set<string>>();
    const stackAreas = (id: number): Set<string> => {
      const known = areasOf.get(id);
      if (known) return known;
      const up = parent.get(id);
      const areas = new Set(up === undefined ? [] : stackAreas(up));
      areas.add(areaOf(byId.get(id)!.callFrame));
      areasOf.set(id, areas);
      return areas;
    };
    profile.samples.forEach((id, i) => {
      const micros = profile.timeDeltas[i] ?? 0;
      total += micros;
      for (const area of stackAreas(id)) inclusive.set(area, (inclusive.get(area) ?? 0) + micros);
      const frame = byId.get(id)!.callFrame;
      const area = areaOf(frame);
      selfByArea.set(area, (selfByArea.get(area) ?? 0) + micros);
      const name = frameName(frame);
      self.set(name, (self.get(name) ?? 0) + micros);
    });
  }
  const pct = (micros: number) => `${((100 * micros) / total).toFixed(1)}%`;
  const idle = inclusive.get('idle') ?? 0;
  const lines = [
    `${files.length} profile(s), ${(total / 1e6).toFixed(1)} s sampled, busy ${pct(total - idle)} (idle ${pct(idle)})`,
    '',
    '| area | inclusive | self |',
    '| --- | ---: | ---: |',
    ...[...inclusive]
      .filter(([area]) => area !== 'root')
      .sort((a, b) => b[1] - a[1])
      .filter(([, micros]) => micros / total >= 0.005)
      .map(([area, micros]) => `| ${area} | ${pct(micros)} | ${pct(selfByArea.get(area) ?? 0)} |`),
    '',
    '| function (self time) | share |',
    '| --- | ---: |',
    ...[...self]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, micros]) => `| ${name.replace(/\|/g, '\\|')} | ${pct(micros)} |`),
  ];
  return lines.join('\n');
}

const [path, top] = process.argv.slice(2);
if (!path) {
  console.error('usage: node dist/bench/profile.js <file.cpuprofile | folder of them> [how many functions, default 30]');
  process.exit(2);
}
console.log(summarise(filesOf(path), Number(top) || 30));
