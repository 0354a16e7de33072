// Plain ESM (jest loads global hooks outside its module mapper): stops the
// embedded test PostgreSQL when this jest process started it.
import { existsSync, readFileSync, rmSync } from 'node:fs';

const OWNER_FILE = '.data/test-pg.owner';
const PID_FILE = '.data/test-pg/postmaster.pid';

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export default async function globalTeardown() {
  if (!existsSync(OWNER_FILE) || Number(readFileSync(OWNER_FILE, 'utf8')) !== process.pid) return;
  rmSync(OWNER_FILE, { force: true });
  if (!existsSync(PID_FILE)) return;
  const pid = Number(readFileSync(PID_FILE, 'utf8').split('\n')[0]);
  if (!alive(pid)) return;
  process.kill(pid, 'SIGINT'); // fast shutdown
  for (let waited = 0; waited < 10_000 && alive(pid); waited += 100) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
