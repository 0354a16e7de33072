import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;

/** What an npm script runs before its CLI (`npm run send`: everything before `node dist/src/cli/send.js`). */
function buildStepOf(name: string): string {
  const script = scripts[name];
  return script.slice(0, script.indexOf(' && node dist/'));
}

/**
 * `npm run send` and `npm run reconcile` build first, and only when the sources changed: checked on
 * a small project laid out as this one is (its package.json, tsconfigs and scripts, this checkout's
 * node_modules), so each build takes a second, not the service's compile.
 */
describe('npm run send and npm run reconcile build only when the sources changed', () => {
  let project: string;
  const compiled = () => join(project, 'dist/src/main.js');
  const buildStep = async (name: string) => run('sh', ['-c', buildStepOf(name)], { cwd: project, env: { PATH: process.env.PATH, HOME: process.env.HOME } });
  /** Marks the compiled output as old, so a build that runs shows as a newer mtime. */
  const backdate = () => utimesSync(compiled(), new Date('2001-01-01'), new Date('2001-01-01'));
  const rebuilt = () => statSync(compiled()).mtime.getFullYear() !== 2001;
  const resave = (file: string) => writeFileSync(join(project, file), readFileSync(join(project, file)));

  beforeAll(() => {
    project = mkdtempSync(join(tmpdir(), 'shelfsync-build-'));
    for (const file of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts']) cpSync(file, join(project, file), { recursive: true });
    symlinkSync(resolve('node_modules'), join(project, 'node_modules'));
    mkdirSync(join(project, 'src/stock/sql'), { recursive: true });
    mkdirSync(join(project, 'migrations'));
    writeFileSync(join(project, 'src/main.ts'), 'export const answer: number = 42;\n');
    writeFileSync(join(project, 'src/stock/sql/lock.sql'), 'SELECT 1;\n');
    writeFileSync(join(project, 'migrations/1-first.ts'), 'export const first = 1;\n');
  });
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  it('builds when dist/ has no build, then not again while nothing changed', async () => {
    expect(buildStepOf('reconcile')).toBe(buildStepOf('send'));
    await buildStep('send');
    expect(readFileSync(compiled(), 'utf8')).toContain('answer = 42');
    expect(existsSync(join(project, 'dist/src/stock/sql/lock.sql'))).toBe(true);

    backdate();
    await buildStep('send');
    await buildStep('reconcile');
    expect(rebuilt()).toBe(false);
  });

  it('builds again when a source file changes', async () => {
    writeFileSync(join(project, 'src/main.ts'), 'export const answer: number = 43;\n');
    await buildStep('send');
    expect(readFileSync(compiled(), 'utf8')).toContain('answer = 43');
    backdate();
    await buildStep('reconcile');
    expect(rebuilt()).toBe(false);
  });

  it.each([
    ['a database function is added', () => writeFileSync(join(project, 'src/stock/sql/unlock.sql'), 'SELECT 2;\n')],
    ['a migration changes', () => writeFileSync(join(project, 'migrations/1-first.ts'), 'export const first = 2;\n')],
    ['package.json is saved', () => resave('package.json')],
  ])('builds again when %s', async (_what, change) => {
    backdate();
    change();
    await buildStep('send');
    expect(rebuilt()).toBe(true);
  });
});
