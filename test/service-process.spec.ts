import { afterEach, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { throughPooler } from './support/database.js';
import { holdStockRows } from './support/held-rows.js';
import { scratchDatabaseUrl } from './support/scratch-database.js';
import { spawnService, type ServiceProcess } from './support/service-process.js';
import { type Answer, deliver, newOrderEvent, sign } from './support/test-app.js';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntilAsync(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  for (const until = Date.now() + timeoutMs; !(await check()); ) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function waitUntil(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  for (const until = Date.now() + timeoutMs; !check(); ) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The service as a user runs it: the built entry point in its own process. */
describe('the service process', () => {
  let service: ServiceProcess | undefined;
  const cleanups: (() => void)[] = [];

  afterEach(async () => {
    if (service && service.child.exitCode === null && service.child.signalCode === null) {
      service.child.kill('SIGKILL');
      await service.exited;
    }
    service = undefined;
    cleanups.splice(0).forEach((cleanup) => cleanup());
  });

  it('refuses to start in production without WEBHOOK_SECRET, naming it', async () => {
    service = await spawnService({ NODE_ENV: 'production', DATABASE_URL: scratchDatabaseUrl() });
    expect(await service.exited).toEqual({ code: 1, signal: null });
    expect(service.output()).toMatch(/cannot start: invalid configuration/);
    expect(service.output()).toMatch(/WEBHOOK_SECRET is required/);
  });

  it('names every bad variable and exits 1', async () => {
    service = await spawnService({ PORT: 'eighty', DATABASE_URL: 'mysql://nope', WEBHOOK_SECRET: 's' });
    expect((await service.exited).code).toBe(1);
    expect(service.output()).toMatch(/PORT must be an integer/);
    expect(service.output()).toMatch(/DATABASE_URL must look like postgres/);
  });

  it('exits within seconds, with one line and no password, when the database is not there', async () => {
    const started = Date.now();
    service = await spawnService({ WEBHOOK_SECRET: 's', DATABASE_URL: 'postgres://someone:hunter2secret@127.0.0.1:1/nowhere' });
    expect((await service.exited).code).toBe(1);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(service.output()).toMatch(/shelfsync cannot start: .*ECONNREFUSED/);
    expect(service.output()).toMatch(/using the database of DATABASE_URL: 127\.0\.0\.1:1\/nowhere/);
    expect(service.output()).not.toContain('hunter2secret');
  });

  it('logs one JSON line per delivery in production, with its request id and outcome, and never a secret or a body', async () => {
    const secret = 'production-secret-xyz';
    service = await spawnService({ NODE_ENV: 'production', WEBHOOK_SECRET: secret, ADMIN_TOKEN: 'admin-token-xyz', DATABASE_URL: scratchDatabaseUrl() });
    const body = newOrderEvent({ id: 'log-1', orderId: 'log-1' });
    const ok = await deliver(service.url, body, { secret, headers: { 'x-request-id': 'req-42' } });
    expect(ok.headers.get('x-request-id')).toBe('req-42');
    const refused = await deliver(service.url, body, { secret: 'wrong' });
    await fetch(`${service.url}/inventory/x`, { headers: { authorization: 'Bearer admin-token-xyz' } });
    service.child.kill('SIGTERM');
    await service.exited;

    const lines = service
      .output()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.find((l) => l.msg === 'delivery')).toMatchObject({
      level: 30,
      service: 'shelfsync',
      request_id: 'req-42',
      source: 'default',
      event_id: 'log-1',
      event_type: 'new_order',
      outcome: 'processed',
      duration_ms: expect.any(Number),
    });
    expect(lines.find((l) => l.msg === 'delivery refused')).toMatchObject({
      level: 40,
      request_id: refused.headers.get('x-request-id'),
      status: 401,
      error: 'invalid_signature',
    });
    expect(lines.some((l) => l.context === 'Main' && String(l.msg).includes('listening on port'))).toBe(true);
    expect(service.output()).not.toContain(secret);
    expect(service.output()).not.toContain('admin-token-xyz');
    expect(service.output()).not.toContain('Test Customer');
  });

  it('prints a generated secret in development that verifies deliveries', async () => {
    service = await spawnService({ DATABASE_URL: scratchDatabaseUrl(), ADMIN_TOKEN: 't' });
    const secret = /generated development secret: ([0-9a-f]+)/.exec(service.output())?.[1];
    expect(secret).toBeDefined();
    const res = await deliver(service.url, newOrderEvent({ id: 'proc-1', orderId: 'proc-1' }), { secret });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'processed', order_status: 'pending' });
    expect((await fetch(`${service.url}/health`)).status).toBe(200);
  });

  it('on SIGTERM finishes the delivery in flight, takes no new one, closes its connections and exits 0', async () => {
    service = await spawnService({ WEBHOOK_SECRET: 's', DATABASE_URL: scratchDatabaseUrl() });
    const direct = new pg.Client({ connectionString: scratchDatabaseUrl() });
    await direct.connect();
    try {
      await direct.query(`INSERT INTO stock (sku, on_hand) VALUES ('G', 5)`);
      await direct.query(`INSERT INTO stock_movements (sku, kind, on_hand_delta, reserved_delta) VALUES ('G', 'adjust', 5, 0)`);
      // Hold the SKU so the delivery is caught half-way when the signal comes.
      const held = await holdStockRows(['G']);
      let inFlight: Promise<Answer>;
      try {
        inFlight = deliver(service.url, newOrderEvent({ id: 'g1', orderId: 'g1', items: [{ sku: 'G', quantity: 2 }] }), { secret: 's' });
        await held.waitForWaiters(1);
        service.child.kill('SIGTERM');
        await waitUntilAsync(() => Promise.resolve(service!.output().includes('received SIGTERM')));
        await expect(fetch(`${service.url}/health`)).rejects.toThrow();
      } finally {
        await held.release();
      }

      const answer = await inFlight;
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ status: 'processed', order_status: 'pending' });
      expect(await service.exited).toEqual({ code: 0, signal: null });
      // Its connections are closed: none is left on the server. Through a pooler the server connections are the
      // pooler's and stay, but none is left running or inside a transaction.
      const pooled = await throughPooler(direct);
      const { rows } = await direct.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = 'shelfsync' AND pid <> pg_backend_pid() AND (NOT $1 OR state <> 'idle')`,
        [pooled],
      );
      expect(rows[0].n).toBe(0);
      expect((await direct.query(`SELECT reserved FROM stock WHERE sku = 'G'`)).rows[0].reserved).toBe(2);
    } finally {
      await direct.end();
    }
  });

  it('stops within seconds and exits 0 while keep-alive senders keep delivering', async () => {
    service = await spawnService({ WEBHOOK_SECRET: 's', DATABASE_URL: scratchDatabaseUrl() });
    const url = service.url;
    let stop = false;
    let answered = 0;
    // Node's fetch keeps connections alive: these senders never let a connection go idle by themselves.
    const senders = Array.from({ length: 6 }, async (_, w) => {
      for (let i = 0; !stop; i++) {
        try {
          const res = await deliver(url, newOrderEvent({ id: `ka-${w}-${i}`, orderId: `ka-${w}-${i}` }), { secret: 's' });
          if (res.status === 200) answered += 1;
        } catch {
          // refused once the server has closed: a real sender retries elsewhere or later
        }
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const signalled = Date.now();
    service.child.kill('SIGTERM');
    const exit = await service.exited;
    const took = Date.now() - signalled;
    stop = true;
    await Promise.all(senders);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(took).toBeLessThan(5_000);
    expect(answered).toBeGreaterThan(0);
    // Every delivery that was answered 200 is in the database.
    const direct = new pg.Client({ connectionString: scratchDatabaseUrl() });
    await direct.connect();
    const { rows } = await direct.query(`SELECT count(*)::int AS n FROM webhook_events WHERE event_id LIKE 'ka-%'`);
    await direct.end();
    expect(rows[0].n).toBeGreaterThanOrEqual(answered);
  });

  it('stops within seconds and exits 0 while clients stall: a body never finished (503), half-sent headers, a silent connection', async () => {
    service = await spawnService({ WEBHOOK_SECRET: 's', DATABASE_URL: scratchDatabaseUrl() });
    const port = Number(new URL(service.url).port);
    const open = (text: string) =>
      new Promise<{ answer: () => string; closed: Promise<void> }>((resolve, reject) => {
        let answer = '';
        const socket = connect(port, '127.0.0.1', () => {
          if (text) socket.write(text);
          resolve({ answer: () => answer, closed: new Promise((ok) => socket.once('close', () => ok())) });
        });
        socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
        socket.on('error', reject);
      });
    // Headers announcing 1,000 bytes, then 10 of them and nothing more.
    const stalledBody = await open('POST /webhooks HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n0123456789');
    const halfHeaders = await open('POST /webhooks HTTP/1.1\r\nhost: x\r\n');
    const silent = await open('');
    await new Promise((resolve) => setTimeout(resolve, 300));

    const signalled = Date.now();
    service.child.kill('SIGTERM');
    expect(await service.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalled).toBeLessThan(5_000);
    await Promise.all([stalledBody.closed, halfHeaders.closed, silent.closed]);
    const [head, body] = stalledBody.answer().split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 503 /);
    expect(head).toMatch(/\r\nretry-after: 1\r\n/i);
    expect(JSON.parse(body)).toMatchObject({ statusCode: 503, error: 'shutting_down' });
    expect(service.output()).not.toContain('did not stop');
  });

  it('with TLS on, finishes the HTTPS delivery in flight and exits 0 within seconds while a client holds a TCP connection and never starts its handshake', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shelfsync-stop-tls-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    service = await spawnService({
      WEBHOOK_SECRET: 's',
      DATABASE_URL: scratchDatabaseUrl(),
      TLS_CERT_FILE: join(dir, 'cert.pem'),
      TLS_KEY_FILE: join(dir, 'key.pem'),
    });
    const port = Number(new URL(service.url).port);
    const direct = new pg.Client({ connectionString: scratchDatabaseUrl() });
    await direct.connect();
    cleanups.push(() => void direct.end());
    await direct.query(`INSERT INTO stock (sku, on_hand) VALUES ('TLS', 5)`);
    await direct.query(`INSERT INTO stock_movements (sku, kind, on_hand_delta, reserved_delta) VALUES ('TLS', 'adjust', 5, 0)`);
    // Plain TCP, and not a byte: the TLS server waits for a ClientHello that never comes.
    const silent = await new Promise<{ closed: Promise<void> }>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve({ closed: new Promise((ok) => socket.once('close', () => ok())) }));
      socket.on('error', reject);
    });
    // An HTTPS delivery caught half-way (its SKU held) past the stop's grace, when idle connections are cut.
    const held = await holdStockRows(['TLS']);
    const body = newOrderEvent({ id: 'tls-1', orderId: 'tls-1', items: [{ sku: 'TLS', quantity: 2 }] });
    const inFlight = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpsRequest(
        { port, host: '127.0.0.1', method: 'POST', path: '/webhooks', rejectUnauthorized: false, headers: { 'content-type': 'application/json', 'x-signature': sign(body, 's') } },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    let signalled: number;
    try {
      await held.waitForWaiters(1);
      signalled = Date.now();
      service.child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 1_500));
    } finally {
      await held.release();
    }
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toMatchObject({ status: 'processed' });
    expect(await service.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalled).toBeLessThan(5_000);
    await silent.closed;
    expect(service.output()).not.toContain('did not stop');
  });

  it('runs with no database set up: an embedded PostgreSQL in .data/, stopped with the service', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shelfsync-zero-setup-'));
    // The embedded server runs as the `postgres` user when we are root; it must reach the folder.
    chmodSync(dir, 0o755);
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));

    service = await spawnService({ WEBHOOK_SECRET: 'zero-setup' }, { cwd: dir });
    expect(service.output()).toMatch(/DATABASE_URL is not set: using the embedded PostgreSQL in \.data\/pg/);
    expect(existsSync(join(dir, '.data/pg/PG_VERSION'))).toBe(true);
    const res = await deliver(service.url, newOrderEvent({ id: 'zero-1', orderId: 'zero-1' }), { secret: 'zero-setup' });
    expect(res.body).toMatchObject({ status: 'processed' });

    service.child.kill('SIGTERM');
    expect(await service.exited).toEqual({ code: 0, signal: null });
    // The embedded server went down with the service.
    expect(existsSync(join(dir, '.data/pg/postmaster.pid'))).toBe(false);

    // After a kill -9 the server is left running: the next start adopts it, and stops it when it stops.
    service = await spawnService({ WEBHOOK_SECRET: 'zero-setup' }, { cwd: dir });
    const postmaster = Number(readFileSync(join(dir, '.data/pg/postmaster.pid'), 'utf8').split('\n')[0]);
    service.child.kill('SIGKILL');
    await service.exited;
    expect(isAlive(postmaster)).toBe(true);
    service = await spawnService({ WEBHOOK_SECRET: 'zero-setup' }, { cwd: dir });
    expect(service.output()).toMatch(/adopting the embedded PostgreSQL left running/);
    expect((await deliver(service.url, newOrderEvent({ id: 'zero-2', orderId: 'zero-2' }), { secret: 'zero-setup' })).status).toBe(200);
    service.child.kill('SIGTERM');
    expect(await service.exited).toEqual({ code: 0, signal: null });
    await waitUntil(() => !isAlive(postmaster));

    // A postmaster.pid naming some other live process (a recycled pid) does not stop a start.
    writeFileSync(join(dir, '.data/pg/postmaster.pid'), `1\n${join(dir, '.data/pg')}\n0\n5999\n`);
    service = await spawnService({ WEBHOOK_SECRET: 'zero-setup' }, { cwd: dir });
    expect(service.output()).toMatch(/listening on port/);
    const orders = await deliver(service.url, newOrderEvent({ id: 'zero-3', orderId: 'zero-1' }), { secret: 'zero-setup' });
    expect(orders.body).toMatchObject({ status: 'ignored', reason: 'order_already_exists' });
  });
});
