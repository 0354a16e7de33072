// `node scripts/build-if-needed.mjs`: `npm run build`, but only when something it compiles or copies
// changed since the last build this script ran. `npm run send` and `npm run reconcile` start with it,
// so a call costs the CLI's own time, not a compile (about 6 s).
//
// The build's inputs are src/, migrations/, tsconfig*.json, the build's scripts and package.json (with
// its lock). A directory counts too: adding, removing or renaming a file changes its directory's mtime.
// dist/.build-stamp records the moment the last build here started (a file saved during a build is
// newer, so the next call builds again).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const INPUTS = ['src', 'migrations', 'tsconfig.json', 'tsconfig.build.json', 'scripts/copy-sql-files.mjs', 'scripts/build-if-needed.mjs', 'package.json', 'package-lock.json'];
const STAMP = 'dist/.build-stamp';

/** The newest mtime (ms) of a file or of a directory and everything under it. */
function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((newest, name) => Math.max(newest, newestMtime(join(path, name))), stat.mtimeMs);
}

const stampedAt = existsSync(STAMP) ? statSync(STAMP).mtimeMs : -1;
const newest = Math.max(...INPUTS.map(newestMtime));
if (stampedAt >= newest) process.exit(0);

const started = new Date();
console.error(existsSync(STAMP) ? 'sources changed since the last build: npm run build' : 'no build recorded in dist/: npm run build');
const build = spawnSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
mkdirSync('dist', { recursive: true });
writeFileSync(STAMP, `built by scripts/build-if-needed.mjs; the inputs' newest mtime then: ${new Date(newest).toISOString()}\n`);
utimesSync(STAMP, started, started);
