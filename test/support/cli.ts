import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { scratchDatabaseUrl } from './scratch-database.js';

const run = promisify(execFile);

/** `npm run reconcile` without the build step: the built CLI against the scratch database (or `url`). */
export async function reconcile(url = scratchDatabaseUrl()): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(process.execPath, [resolve('dist/src/inventory/reconcile-cli.js')], {
      env: { PATH: process.env.PATH, DATABASE_URL: url },
    });
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, stdout: failed.stdout };
  }
}
