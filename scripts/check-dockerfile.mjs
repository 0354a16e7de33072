// `node scripts/check-dockerfile.mjs`: builds the Dockerfile's image the way Docker would, without a
// Docker engine, and starts it. No machine this project runs on has an engine, so nothing else notices
// a Dockerfile that no longer builds (a COPY that forgets a file `npm run build` needs, say).
//
// Each stage gets a directory standing for its root file system. Its instructions run in order:
// WORKDIR, ENV, COPY (from the build context, honouring .dockerignore, or `--from` an earlier stage)
// and RUN (with `sh -c`, in the stage's WORKDIR, with its ENV). The last stage's CMD is then started
// with the stage's ENV, a scratch database on the server of DATABASE_URL (default: the machine's
// PostgreSQL), WEBHOOK_SECRET and a free PORT; it passes when GET /health answers 200, the stage's
// HEALTHCHECK command exits 0, and SIGTERM stops it with exit 0 within 15 s.
//
// What the replay cannot reproduce: the base image (FROM): the stages run on this machine's own Node
// and shell, so a stage must not rely on paths outside its WORKDIR; and USER (it runs as whoever runs
// this). An instruction it does not know fails the check, to be taught here rather than skipped.
//
// Options: --dockerfile <path> (default Dockerfile), --context <dir> (default .), --keep (leave the
// stage directories in place and print where), --copies-only (only check that every COPY from the
// build context finds its files: for an image whose RUN lines need its base image, such as
// docker/pgbouncer's apt-get).
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, posix, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

const STARTUP_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 15_000;

class CheckFailed extends Error {}
const fail = (message) => {
  throw new CheckFailed(message);
};
const say = (message) => console.log(`check-dockerfile: ${message}`);

// ---- the Dockerfile, as a list of stages

/** Instructions, continuation lines joined, comments and blank lines dropped. */
function instructionsOf(text) {
  const instructions = [];
  let pending = '';
  let firstLine = 0;
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    if (pending === '' && /^\s*(#|$)/.test(line)) return;
    if (pending !== '' && /^\s*#/.test(line)) return; // a comment inside a continued instruction
    if (pending === '') firstLine = index + 1;
    if (/\\\s*$/.test(line)) {
      pending += line.replace(/\\\s*$/, ' ');
      return;
    }
    const whole = (pending + line).trim();
    pending = '';
    const match = /^(\S+)\s*(.*)$/s.exec(whole);
    instructions.push({ keyword: match[1].toUpperCase(), args: match[2].trim(), line: firstLine });
  });
  if (pending !== '') fail('the Dockerfile ends inside a continued line');
  return instructions;
}

/** Words of a shell-form argument list, with "..." and '...' quoting. */
function wordsOf(args) {
  const words = [];
  const pattern = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (const match of args.matchAll(pattern)) {
    words.push(match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : (match[2] ?? match[3]));
  }
  return words;
}

/** A JSON (exec form) array, or null when the argument is in shell form. */
function execFormOf(args) {
  if (!args.startsWith('[')) return null;
  try {
    const parsed = JSON.parse(args);
    if (Array.isArray(parsed) && parsed.every((word) => typeof word === 'string')) return parsed;
  } catch {
    // shell form that happens to start with '['
  }
  return null;
}

function envOf(args) {
  const words = wordsOf(args);
  if (words.length > 0 && !words[0].includes('=')) return { [words[0]]: args.slice(args.indexOf(words[0]) + words[0].length).trim() };
  return Object.fromEntries(words.map((word) => [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)]));
}

function stagesOf(text) {
  const stages = [];
  for (const instruction of instructionsOf(text)) {
    const { keyword, args, line } = instruction;
    if (keyword === 'FROM') {
      const [image, as, name] = wordsOf(args).filter((word) => !word.startsWith('--platform='));
      stages.push({ image, name: as?.toUpperCase() === 'AS' ? name : String(stages.length), steps: [] });
      continue;
    }
    if (stages.length === 0) {
      if (keyword === 'ARG') continue;
      fail(`line ${line}: ${keyword} before the first FROM`);
    }
    stages.at(-1).steps.push(instruction);
  }
  return stages;
}

// ---- .dockerignore (Docker's rules: last matching pattern wins, `!` re-includes, a pattern that
// matches a directory excludes everything under it, `**` spans any number of directories)

function patternToRegExp(pattern) {
  let source = '';
  for (let i = 0; i < pattern.length; i += 1) {
    const c = pattern[i];
    if (c === '*' && pattern[i + 1] === '*') {
      i += 1;
      if (pattern[i + 1] === '/') {
        i += 1;
        source += '(?:.*/)?';
      } else source += '.*';
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i);
      if (end < 0) fail(`.dockerignore: unclosed [ in ${pattern}`);
      source += pattern.slice(i, end + 1).replace('[!', '[^');
      i = end;
    } else if (c === '\\' && i + 1 < pattern.length) {
      i += 1;
      source += pattern[i].replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    } else source += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

function dockerignoreOf(text) {
  const rules = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const negated = line.startsWith('!');
      const pattern = posix.normalize((negated ? line.slice(1) : line).trim()).replace(/^\/+|\/+$/g, '');
      return { negated, regexp: patternToRegExp(pattern) };
    });
  /** Whether a path relative to the context ('a/b/c') stays out of the build context. */
  return (path) => {
    const parts = path.split('/');
    const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const { negated, regexp } of rules) {
      if (candidates.some((candidate) => regexp.test(candidate))) excluded = !negated;
    }
    return excluded;
  };
}

// ---- the build context as Docker sends it

function contextFiles(context, excluded) {
  const files = [];
  const walk = (relative) => {
    for (const entry of readdirSync(join(context, relative), { withFileTypes: true })) {
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
      // A directory is walked even when excluded: a `!` pattern may bring back something inside it.
      if (entry.isDirectory()) walk(path);
      else if (!excluded(path)) files.push(path);
    }
  };
  walk('');
  return files;
}

/** The files a COPY source brings from the context: [path relative to the source match, context path]. */
function sourcesFromContext(files, source) {
  const pattern = posix.normalize(source).replace(/^\/+|\/+$/g, '');
  const matcher = pattern === '.' ? null : patternToRegExp(pattern);
  const brought = [];
  for (const file of files) {
    if (matcher === null) {
      brought.push({ match: '.', rest: file, file });
      continue;
    }
    const parts = file.split('/');
    for (let i = 1; i <= parts.length; i += 1) {
      const prefix = parts.slice(0, i).join('/');
      if (matcher.test(prefix)) {
        brought.push({ match: prefix, rest: parts.slice(i).join('/'), file });
        break;
      }
    }
  }
  return brought;
}

// ---- replaying the stages

function imagePath(root, path) {
  return join(root, posix.normalize(`/${path}`));
}

function copyStep(stage, args, line, { context, files, stages, copiesOnly }) {
  const words = wordsOf(args);
  const flags = words.filter((word) => word.startsWith('--'));
  const [destination, ...sourcesReversed] = (execFormOf(args) ?? words.filter((word) => !word.startsWith('--'))).reverse();
  const sources = sourcesReversed.reverse();
  if (sources.length === 0) fail(`line ${line}: COPY needs a source and a destination`);
  const from = flags.find((flag) => flag.startsWith('--from='))?.slice('--from='.length);
  for (const flag of flags) {
    if (!/^--(from|chown|chmod|link)(=|$)/.test(flag)) fail(`line ${line}: COPY ${flag} is not replayed by this check`);
  }
  const target = imagePath(stage.root, posix.resolve(stage.workdir, destination));
  const intoDirectory = destination.endsWith('/') || sources.length > 1 || sources.some((source) => /[*?[]/.test(source));

  if (from !== undefined) {
    if (copiesOnly) return;
    const origin = stages.find((earlier) => earlier.name === from);
    if (origin === undefined || origin.root === undefined) fail(`line ${line}: COPY --from=${from}: no earlier stage of that name`);
    for (const source of sources) {
      const path = imagePath(origin.root, posix.resolve(origin.workdir, source));
      if (!existsSync(path)) fail(`line ${line}: COPY --from=${from} ${source}: not in stage ${from}`);
      const to = lstatSync(path).isDirectory() || !intoDirectory ? target : join(target, basename(path));
      mkdirSync(dirname(to), { recursive: true });
      cpSync(path, to, { recursive: true, verbatimSymlinks: true });
    }
    return;
  }
  for (const source of sources) {
    const brought = sourcesFromContext(files, source);
    if (brought.length === 0) fail(`line ${line}: COPY ${source}: not in the build context (missing, or excluded by .dockerignore)`);
    for (const { match, rest, file } of brought) {
      // A matched directory brings its contents; a matched file goes into the destination directory,
      // or becomes the destination.
      const to = rest !== '' ? join(target, rest) : intoDirectory ? join(target, basename(match)) : target;
      mkdirSync(dirname(to), { recursive: true });
      cpSync(join(context, file), to, { verbatimSymlinks: true });
    }
  }
}

/** The environment a RUN line or the CMD gets: the machine's basics, then the stage's ENV. */
function environmentOf(stage, extra = {}) {
  const kept = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'NODE_EXTRA_CA_CERTS', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy'];
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => kept.includes(key) || key.startsWith('NPM_CONFIG_')),
  );
  // Under `npm run`, PATH starts with this checkout's node_modules/.bin: a stage must not find its tools there.
  if (base.PATH) base.PATH = base.PATH.split(':').filter((dir) => !dir.endsWith('node_modules/.bin')).join(':');
  return { ...base, ...stage.env, ...extra };
}

function replay(stage, shared) {
  for (const { keyword, args, line } of stage.steps) {
    switch (keyword) {
      case 'WORKDIR':
        stage.workdir = posix.resolve(stage.workdir, args);
        mkdirSync(imagePath(stage.root, stage.workdir), { recursive: true });
        break;
      case 'ENV':
        Object.assign(stage.env, envOf(args));
        break;
      case 'COPY':
        copyStep(stage, args, line, shared);
        break;
      case 'RUN': {
        if (shared.copiesOnly) break;
        const exec = execFormOf(args);
        say(`[${stage.name}] RUN ${args}`);
        const run = spawnSync(exec ? exec[0] : '/bin/sh', exec ? exec.slice(1) : ['-c', args], {
          cwd: imagePath(stage.root, stage.workdir),
          env: environmentOf(stage),
          stdio: ['ignore', 'inherit', 'inherit'],
        });
        if (run.status !== 0) fail(`line ${line}: RUN ${args}: exit ${run.status ?? run.signal}`);
        break;
      }
      case 'CMD':
        stage.cmd = execFormOf(args) ?? ['/bin/sh', '-c', args];
        break;
      case 'HEALTHCHECK': {
        const command = /\bCMD\s+(.*)$/s.exec(args)?.[1];
        stage.healthcheck = command === undefined ? null : (execFormOf(command) ?? ['/bin/sh', '-c', command]);
        break;
      }
      case 'USER':
      case 'EXPOSE':
      case 'LABEL':
      case 'ARG':
      case 'STOPSIGNAL':
        break;
      default:
        fail(`line ${line}: ${keyword} is not replayed by this check (teach scripts/check-dockerfile.mjs)`);
    }
  }
}

// ---- starting the result

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

function healthStatus(port) {
  return new Promise((resolveStatus) => {
    const request = get({ host: '127.0.0.1', port, path: '/health', timeout: 2_000 }, (response) => {
      response.resume();
      resolveStatus(response.statusCode);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolveStatus(null));
  });
}

async function startAndCheck(stage, databaseUrl) {
  if (!stage.cmd) fail(`stage ${stage.name} has no CMD`);
  const port = await freePort();
  const env = environmentOf(stage, { DATABASE_URL: databaseUrl, WEBHOOK_SECRET: 'check-dockerfile-secret', PORT: String(port) });
  const cwd = imagePath(stage.root, stage.workdir);
  say(`[${stage.name}] CMD ${stage.cmd.join(' ')} (PORT=${port}, NODE_ENV=${env.NODE_ENV ?? ''}, on this machine's ${process.version})`);
  const child = spawn(stage.cmd[0], stage.cmd.slice(1), { cwd, env, stdio: ['ignore', 'inherit', 'inherit'] });
  const exited = new Promise((resolveExit) => child.once('exit', (code, signal) => resolveExit({ code, signal })));
  let exit = null;
  void exited.then((result) => (exit = result));
  try {
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    let status = null;
    while (exit === null && Date.now() < deadline) {
      status = await healthStatus(port);
      if (status === 200) break;
      await sleep(500);
    }
    if (exit !== null) fail(`the CMD exited (${exit.code ?? exit.signal}) before GET /health answered 200`);
    if (status !== 200) fail(`GET /health did not answer 200 within ${STARTUP_TIMEOUT_MS / 1000} s (last: ${status ?? 'no answer'})`);
    say('GET /health answered 200');
    if (stage.healthcheck) {
      const check = spawnSync(stage.healthcheck[0], stage.healthcheck.slice(1), { cwd, env, stdio: 'inherit', timeout: 10_000 });
      if (check.status !== 0) fail(`the HEALTHCHECK command exited ${check.status ?? check.signal}`);
      say('the HEALTHCHECK command exited 0');
    }
    child.kill('SIGTERM');
    const stopped = await Promise.race([exited, sleep(STOP_TIMEOUT_MS).then(() => null)]);
    if (stopped === null) fail(`SIGTERM did not stop it within ${STOP_TIMEOUT_MS / 1000} s`);
    if (stopped.code !== 0) fail(`SIGTERM stopped it with exit ${stopped.code ?? stopped.signal}, not 0`);
    say('SIGTERM stopped it with exit 0');
  } finally {
    if (exit === null && child.exitCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  }
}

async function withScratchDatabase(serverUrl, use) {
  const name = `shelfsync_dockerfile_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    return await use(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
}

// ---- main

async function main() {
  const argv = process.argv.slice(2);
  const option = (name, fallback) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : fallback);
  const dockerfile = resolve(option('--dockerfile', 'Dockerfile'));
  const context = resolve(option('--context', '.'));
  const keep = argv.includes('--keep');
  const copiesOnly = argv.includes('--copies-only');
  const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

  const stages = stagesOf(readFileSync(dockerfile, 'utf8'));
  if (stages.length === 0) fail('no FROM in the Dockerfile');
  const ignoreFile = join(context, '.dockerignore');
  const excluded = existsSync(ignoreFile) ? dockerignoreOf(readFileSync(ignoreFile, 'utf8')) : () => false;
  const shared = { context, files: contextFiles(context, excluded), stages, copiesOnly };

  const work = mkdtempSync(join(tmpdir(), 'shelfsync-dockerfile-'));
  try {
    for (const stage of stages) {
      Object.assign(stage, { root: join(work, stage.name), workdir: '/', env: {} });
      mkdirSync(stage.root, { recursive: true });
      say(`stage ${stage.name} (FROM ${stage.image}) in ${stage.root}`);
      replay(stage, shared);
    }
    if (copiesOnly) {
      say(`${dockerfile}: every COPY from the build context finds its files`);
      return;
    }
    await withScratchDatabase(serverUrl, (databaseUrl) => startAndCheck(stages.at(-1), databaseUrl));
  } finally {
    if (keep) say(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
  say(`${basename(dockerfile)} builds, starts, answers GET /health and stops`);
}

main().catch((error) => {
  console.error(`check-dockerfile: FAILED: ${error instanceof CheckFailed ? error.message : (error?.stack ?? error)}`);
  process.exit(1);
});
