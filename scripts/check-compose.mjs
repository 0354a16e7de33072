// `node scripts/check-compose.mjs`: checks docker-compose.yml as far as a machine without a Docker
// engine can. Needs Debian's `docker-compose` (1.29), whose `config` reads, interpolates and validates
// the file against Compose's schema without an engine, and fails on a `build:` context that is not
// there. On top of that:
// - without WEBHOOK_SECRET, or without ADMIN_TOKEN, the file is refused (as README says);
// - every host file or directory it mounts exists (an engine would mount an empty directory instead);
// - every image it builds passes scripts/check-dockerfile.mjs --copies-only (each COPY finds its
//   files in that build context); the shelfsync image itself is built and started by
//   scripts/check-dockerfile.mjs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const file = resolve(process.argv[2] ?? 'docker-compose.yml');
const secrets = { WEBHOOK_SECRET: 'check-compose-secret', ADMIN_TOKEN: 'check-compose-token' };
const problems = [];
// An empty env file: a developer's .env beside the compose file must not change what is checked.
const scratch = mkdtempSync(join(tmpdir(), 'shelfsync-compose-'));
const emptyEnvFile = join(scratch, 'empty.env');
writeFileSync(emptyEnvFile, '');
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

function compose(env, ...args) {
  const run = spawnSync('docker-compose', ['--env-file', emptyEnvFile, '-f', file, 'config', ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    encoding: 'utf8',
  });
  if (run.error) {
    console.error(`check-compose: FAILED: docker-compose: ${run.error.message} (Debian's docker-compose package)`);
    process.exit(1);
  }
  return run;
}

const checked = compose(secrets);
if (checked.status !== 0) problems.push(`docker-compose config refuses the file:\n${checked.stderr.trim()}`);

for (const missing of Object.keys(secrets)) {
  const { [missing]: _, ...others } = secrets;
  const run = compose(others, '-q');
  if (run.status === 0 || !run.stderr.includes(missing)) problems.push(`the file is accepted without ${missing}`);
}

// The normalised output names every path absolutely: bind mounts in short form
// (`- /host/path:/container/path[:mode]`) or long form (`source: /host/path`), build contexts as
// `context: /path` with an optional `dockerfile: name` on the next line.
const lines = checked.status === 0 ? checked.stdout.split('\n') : [];
let mounts = 0;
for (const line of lines) {
  const mounted = /^\s*-\s+['"]?(\/[^:'"]+):/.exec(line) ?? /^\s*source:\s+['"]?(\/[^'"]+)/.exec(line);
  if (!mounted) continue;
  mounts += 1;
  if (!existsSync(mounted[1])) problems.push(`a mounted path does not exist: ${mounted[1]}`);
}
const builds = [];
lines.forEach((line, index) => {
  const context = /^(\s*)context:\s+['"]?([^'"]+)/.exec(line);
  if (!context) return;
  // Keys come out sorted: a `dockerfile:` of the same build is the next line.
  const dockerfile = new RegExp(`^${context[1]}dockerfile:\\s+['"]?([^'"]+)`).exec(lines[index + 1] ?? '');
  builds.push({ context: context[2].trim(), dockerfile: resolve(context[2].trim(), dockerfile?.[1].trim() ?? 'Dockerfile') });
});
for (const build of builds) {
  const run = spawnSync(
    process.execPath,
    [join(import.meta.dirname, 'check-dockerfile.mjs'), '--copies-only', '--context', build.context, '--dockerfile', build.dockerfile],
    { encoding: 'utf8' },
  );
  if (run.status !== 0) problems.push(`${build.dockerfile}: ${run.stderr.trim() || run.stdout.trim()}`);
}

if (problems.length > 0) {
  for (const problem of problems) console.error(`check-compose: FAILED: ${problem}`);
  process.exit(1);
}
console.log(
  `check-compose: ${file} is valid, refused without ${Object.keys(secrets).join(' or ')}; ` +
    `${mounts} mounted path(s) exist; the COPY lines of ${builds.length} built image(s) find their files`,
);
