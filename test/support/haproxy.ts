import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { debianProgram, waitForPort } from './pgbouncer.js';
import { freePort } from './service-process.js';

export interface Haproxy {
  url: string;
  /** Each backend server's state as HAProxy's health checks see it (`UP`, `DOWN`, ...), by name (`s1`, `s2`, ...). */
  states(): Promise<Record<string, string>>;
  output(): string;
  close(): Promise<void>;
}

/**
 * A real HAProxy (Debian's package) in front of the instances listening on
 * `ports`, configured as a deployment would be (and as docker/haproxy.cfg
 * is): round robin; a server leaves the rotation after two failed checks of
 * GET /health (checked every 300 ms here) and comes back after two good
 * ones; a request whose connection to a server fails is sent to another
 * (redispatch). A request that reached a server is never re-sent by HAProxy:
 * a POST is not idempotent to a load balancer, so the sender retries it.
 */
export async function startHaproxy(ports: number[]): Promise<Haproxy> {
  const binary = debianProgram('haproxy');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'shelfsync-haproxy-'));
  const socket = join(dir, 'admin.sock');
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(
    cfg,
    [
      'global',
      `  stats socket ${socket} mode 600 level admin`,
      'defaults',
      '  mode http',
      '  timeout connect 1s',
      '  timeout client 30s',
      '  timeout server 30s',
      '  retries 3',
      '  option redispatch',
      'frontend webhooks',
      `  bind 127.0.0.1:${port}`,
      '  option forwardfor',
      '  default_backend shelfsync',
      'backend shelfsync',
      '  balance roundrobin',
      '  option httpchk GET /health',
      '  http-check expect status 200',
      '  default-server inter 300ms fall 2 rise 2',
      ...ports.map((p, i) => `  server s${i + 1} 127.0.0.1:${p} check`),
      '',
    ].join('\n'),
  );
  let output = '';
  const child: ChildProcess = spawn(binary, ['-db', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await Promise.race([
    waitForPort(port),
    exited.then(() => {
      throw new Error(`haproxy exited at start:\n${output}`);
    }),
  ]);

  const command = (line: string) =>
    new Promise<string>((resolve, reject) => {
      let answer = '';
      const admin = connect(socket);
      admin.on('data', (chunk) => (answer += chunk.toString()));
      admin.on('end', () => resolve(answer));
      admin.on('error', reject);
      admin.write(`${line}\n`);
    });

  return {
    url: `http://127.0.0.1:${port}`,
    async states() {
      // `show stat`: CSV, a line per proxy and server; fields (from 0) 1 the server's name, 17 its status.
      const lines = (await command('show stat')).split('\n').filter((l) => l.startsWith('shelfsync,'));
      const states: Record<string, string> = {};
      for (const line of lines) {
        const fields = line.split(',');
        if (fields[1] !== 'BACKEND') states[fields[1]] = fields[17];
      }
      return states;
    },
    output: () => output,
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
