import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BODY_RULES } from '../src/http/request-body.js';
import { admin, ADMIN_TOKEN, deliver, newOrderEvent, startTestApp, useTestApp, type TestApp } from './support/test-app.js';

describe('the edge', () => {
  // One service per configuration, shared by the tests that use it.
  describe('with limits of 5 webhook and 3 management requests a minute', () => {
    const t = useTestApp({ WEBHOOK_RATE_LIMIT: '5', ADMIN_RATE_LIMIT: '3' });

    it('limits requests per address: 429 with retry-after past the limit, webhooks and admin counted apart', async () => {
      const webhooks = [];
      for (let i = 0; i < 7; i++) webhooks.push(await deliver(t.url, newOrderEvent({ id: `rl-${i}`, orderId: `rl-${i}` })));
      expect(webhooks.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 429, 429]);
      expect(Number(webhooks[5].headers.get('retry-after'))).toBeGreaterThan(0);
      expect(webhooks[5].body.error).toBe('too_many_requests');

      const adminCalls = [];
      for (let i = 0; i < 4; i++) adminCalls.push((await admin(t.url, 'GET', '/inventory/X')).status);
      expect(adminCalls).toEqual([404, 404, 404, 429]);
      // Health checks are never limited.
      for (let i = 0; i < 10; i++) expect((await fetch(`${t.url}/health`)).status).toBe(200);
    });
  });

  describe('with a limit of 2 management requests a minute, behind a trusted proxy', () => {
    const t = useTestApp({ ADMIN_RATE_LIMIT: '2', TRUST_PROXY: 'loopback' });

    it('counts each client address apart, and an IPv6 /64 as one address', async () => {
      const from = async (address: string) =>
        (await fetch(`${t.url}/inventory/X`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'x-forwarded-for': address } })).status;
      expect([await from('10.0.0.1'), await from('10.0.0.1'), await from('10.0.0.1')]).toEqual([404, 404, 429]);
      expect(await from('10.0.0.2')).toBe(404);
      expect([await from('2001:db8:1:2::1'), await from('2001:db8:1:2::ffff'), await from('2001:db8:1:2:aaaa::9')]).toEqual([404, 404, 429]);
      expect(await from('2001:db8:1:3::1')).toBe(404);
    });
  });

  describe('with the management limit at 0', () => {
    const t = useTestApp({ ADMIN_RATE_LIMIT: '0' });

    it('turns a limit off with 0', async () => {
      for (let i = 0; i < 20; i++) expect((await admin(t.url, 'GET', '/inventory/X')).status).toBe(404);
    });
  });

  describe('with webhooks allowed from 10.0.0.0/8 only', () => {
    const direct = useTestApp({ WEBHOOK_ALLOWED_IPS: '10.0.0.0/8', WEBHOOK_LOCAL_SECRET: 'l', WEBHOOK_LOCAL_ALLOWED_IPS: '127.0.0.0/8' });
    const behindProxy = useTestApp({ WEBHOOK_ALLOWED_IPS: '10.0.0.0/8', TRUST_PROXY: 'loopback' });

    it('refuses a delivery from outside the allowed addresses with 403, before its signature is looked at', async () => {
      const refused = await deliver(direct.url, newOrderEvent({ orderId: 'ip-1' }), { signature: 'bad' });
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ error: 'forbidden', message: expect.stringContaining('127.0.0.1') });
      const allowed = await deliver(direct.url, newOrderEvent({ orderId: 'ip-2' }), { path: '/webhooks/local', secret: 'l' });
      expect(allowed.status).toBe(200);
    });

    it('believes x-forwarded-for only with TRUST_PROXY', async () => {
      const forwarded = { 'x-forwarded-for': '10.1.2.3' };
      expect((await deliver(direct.url, newOrderEvent({ orderId: 'xf-1' }), { headers: forwarded })).status).toBe(403);
      expect((await deliver(behindProxy.url, newOrderEvent({ orderId: 'xf-2' }), { headers: forwarded })).status).toBe(200);
      expect((await deliver(behindProxy.url, newOrderEvent({ orderId: 'xf-3' }))).status).toBe(403);
    });
  });

  describe('with the default configuration', () => {
    const t = useTestApp();

    it('sends security headers', async () => {
      const res = await fetch(`${t.url}/health`);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('strict-transport-security')).toMatch(/max-age=/);
      expect(res.headers.get('x-powered-by')).toBeNull();
      // Over plain HTTP the policy must not send the /docs page's scripts to https.
      expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
      expect(res.headers.get('content-security-policy')).not.toMatch(/upgrade-insecure-requests/);
    });
  });

  describe('the HTTP server\'s own refusals and routing (Fastify)', () => {
    const t = useTestApp({ TRUST_PROXY: 'loopback' });

    /** One request written by hand on a socket: the raw answer's status line and body. */
    function raw(text: string): Promise<{ status: number; body: Record<string, unknown> }> {
      return new Promise((resolve, reject) => {
        const socket = connect(Number(new URL(t.url).port), '127.0.0.1', () => socket.write(text));
        let answer = '';
        socket.on('data', (chunk) => (answer += chunk.toString()));
        socket.on('error', reject);
        socket.on('close', () => {
          const [head, body] = answer.split('\r\n\r\n');
          resolve({ status: Number(head.split(' ')[1]), body: JSON.parse(body) as Record<string, unknown> });
        });
      });
    }

    it('answers a path that is not valid percent-encoding as a JSON 400, with the usual headers', async () => {
      const res = await deliver(t.url, newOrderEvent({ orderId: 'bad-url' }), { path: '/webhooks/%zz' });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ statusCode: 400, error: 'bad_request', message: 'the path is not valid percent-encoding' });
      expect(res.headers.get('x-request-id')).toBeTruthy();
      expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    });

    it('answers a path segment past 8,192 characters as a JSON 414 that does not repeat it', async () => {
      const res = await admin(t.url, 'PUT', `/inventory/${'a'.repeat(9000)}`, { on_hand: 1 });
      expect(res.status).toBe(414);
      expect(res.body).toMatchObject({ error: 'uri_too_long' });
      expect(JSON.stringify(res.body)).not.toContain('aaaa');
    });

    it('answers headers past 16 kB, and what is not HTTP, in the JSON error shape', async () => {
      const big = await raw(`GET /health HTTP/1.1\r\nhost: x\r\nx-big: ${'b'.repeat(20_000)}\r\n\r\n`);
      expect(big).toEqual({ status: 431, body: { statusCode: 431, error: 'request_header_fields_too_large', message: expect.any(String) } });
      const garbage = await raw('NOT HTTP AT ALL\r\n\r\n');
      expect(garbage).toMatchObject({ status: 400, body: { error: 'bad_request' } });
    });

    it('routes percent-encoded paths as decoded, and keeps SKUs whose lowercase is longer (İ)', async () => {
      const put = await admin(t.url, 'PUT', '/inventory/%C4%B0', { on_hand: 3 });
      expect(put.status).toBe(200);
      expect((await admin(t.url, 'GET', '/inventory/%C4%B0')).body).toMatchObject({ sku: 'İ', on_hand: 3 });
      const body = newOrderEvent({ id: 'enc-1', orderId: 'enc-1' });
      const res = await deliver(t.url, body, { path: '/%77ebhooks' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ event_id: 'enc-1', status: 'processed' });
    });

    it('answers 413 to a sender still writing a chunked body past the limit, rather than cutting it off', async () => {
      // Answered only when the whole body went out and the answer came: a sender cut off mid-body sees an error (EPIPE).
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(`${t.url}/webhooks`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-signature': 'x' } });
        let answer: number | undefined;
        let written = false;
        const settle = () => answer !== undefined && written && resolve(answer);
        req.on('response', (res) => {
          res.resume();
          answer = res.statusCode;
          res.on('end', settle);
        });
        req.on('finish', () => {
          written = true;
          settle();
        });
        req.on('error', reject);
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        let sent = 0;
        const more = () => {
          while (sent < 192) {
            sent += 1;
            if (!req.write(chunk)) return void req.once('drain', more);
          }
          req.end();
        };
        more();
      });
      expect(status).toBe(413);
    });

    it('makes the console cookie Secure when the nearest trusted proxy saw HTTPS (the first x-forwarded-proto)', async () => {
      const login = (proto?: string) =>
        fetch(`${t.url}/console/login`, {
          method: 'POST',
          redirect: 'manual',
          body: new URLSearchParams({ token: ADMIN_TOKEN }),
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...(proto ? { 'x-forwarded-proto': proto } : {}) },
        });
      expect((await login('https, http')).headers.get('set-cookie')).toMatch(/; Secure$/);
      expect((await login('http, https')).headers.get('set-cookie')).not.toMatch(/Secure/);
      expect((await login()).headers.get('set-cookie')).not.toMatch(/Secure/);
    });

    it('answers a console login without a form with the login page, not a 500', async () => {
      const res = await fetch(`${t.url}/console/login`, { method: 'POST' });
      expect(res.status).toBe(401);
      expect(await res.text()).toContain('That is not the admin token.');
    });
  });

  describe('bodies that do not arrive whole: a read deadline of 5 s, a budget of 400 kB, 300 kB per address', () => {
    let t: TestApp;
    const logged: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    beforeAll(async () => {
      process.stdout.write = (chunk: string | Uint8Array) => {
        logged.push(chunk.toString());
        return true;
      };
      t = await startTestApp({ TRUST_PROXY: 'loopback', LOG_LEVEL: 'warn' }, { ...BODY_RULES, readDeadlineMs: 5_000, budgetBytes: 400 * 1024, perAddressBytes: 300 * 1024 });
    });
    afterAll(async () => {
      await t.close();
      process.stdout.write = write;
    });

    /** Headers announcing 10 bytes more than `bytes`, from `address` (x-forwarded-for), then `bytes` of them and nothing more; the raw answer. */
    function stall(bytes: number, address: string): { answer: Promise<{ head: string; body: Record<string, unknown> }>; sent: Promise<void> } {
      let sent!: () => void;
      const written = new Promise<void>((resolve) => (sent = resolve));
      const answer = new Promise<{ head: string; body: Record<string, unknown> }>((resolve, reject) => {
        const socket = connect(Number(new URL(t.url).port), '127.0.0.1', () =>
          socket.write(
            `POST /webhooks HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nx-forwarded-for: ${address}\r\n` +
              `content-length: ${bytes + 10}\r\n\r\n${'x'.repeat(bytes)}`,
            () => setTimeout(sent, 200),
          ),
        );
        let text = '';
        socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
        socket.on('error', reject);
        socket.on('close', () => {
          const [head, body] = text.split('\r\n\r\n');
          resolve({ head, body: JSON.parse(body) as Record<string, unknown> });
        });
      });
      return { answer, sent: written };
    }

    /** A signed delivery of about 100 kB (an event type shelfsync ignores) from `address`. */
    const large = (id: string, address: string) =>
      deliver(t.url, JSON.stringify({ id, event: 'catalog_synced', data: { padding: 'p'.repeat(100 * 1024) } }), {
        headers: { 'x-forwarded-for': address },
      });

    it('answers 429 past an address\'s share and 503 past the budget, with retry-after; a stalled body gets 408, logged as 408', async () => {
      const first = stall(250 * 1024, '10.0.0.1');
      await first.sent;
      const sameAddress = await large('budget-1', '10.0.0.1');
      expect(sameAddress.status).toBe(429);
      expect(sameAddress.body).toMatchObject({ error: 'too_many_requests' });
      expect(sameAddress.headers.get('retry-after')).toBe('1');
      expect((await large('budget-2', '10.0.0.2')).body).toMatchObject({ status: 'ignored' });

      const second = stall(100 * 1024, '10.0.0.4');
      await second.sent;
      const overBudget = await large('budget-3', '10.0.0.3');
      expect(overBudget.status).toBe(503);
      expect(overBudget.body).toMatchObject({ error: 'server_busy' });
      expect(overBudget.headers.get('retry-after')).toBe('2');

      const cut = await first.answer;
      expect(cut.head).toMatch(/^HTTP\/1\.1 408 /);
      expect(cut.body).toMatchObject({ statusCode: 408, error: 'request_timeout' });
      await second.answer;
      // Once the stalled bodies are cut, their bytes are given back.
      expect((await large('budget-4', '10.0.0.1')).body).toMatchObject({ status: 'ignored' });

      const refusals = logged
        .join('')
        .split('\n')
        .filter((line) => line.includes('"delivery refused"'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(refusals.filter((line) => line.status === 408)).toEqual([
        expect.objectContaining({ status: 408, error: 'request_timeout', path: '/webhooks' }),
        expect.objectContaining({ status: 408, error: 'request_timeout', path: '/webhooks' }),
      ]);
      expect(refusals.some((line) => line.status === 400)).toBe(false);
      expect(refusals).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ status: 429, error: 'too_many_requests' }),
          expect.objectContaining({ status: 503, error: 'server_busy' }),
        ]),
      );
    });
  });

  describe('with the default body rules', () => {
    const t = useTestApp({});

    /** A connection from `localAddress` (loopback answers all of 127.0.0.0/8) that sends headers announcing 256 kB, then nothing. */
    function silentBody(localAddress: string): Promise<{ answer: () => string; closed: Promise<void> }> {
      return new Promise((resolve, reject) => {
        let answer = '';
        const socket = connect({ port: Number(new URL(t.url).port), host: '127.0.0.1', localAddress }, () => {
          socket.write(`POST /webhooks HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${256 * 1024}\r\n\r\n`);
          resolve({ answer: () => answer, closed: new Promise((ok) => socket.once('close', () => ok())) });
        });
        socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
        socket.on('error', reject);
      });
    }

    it('bodies announced and never sent, from two addresses, shut out no one: another address delivers at once; they are cut idle after 5 s', async () => {
      const stalled = await Promise.all([...Array(64).keys()].map((i) => silentBody(i % 2 ? '127.0.0.2' : '127.0.0.3')));
      await new Promise((resolve) => setTimeout(resolve, 300));
      const started = Date.now();
      const answer = await deliver(t.url, newOrderEvent({ id: 'silent-bodies', orderId: 'silent-bodies' }));
      expect(answer.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(2_000);
      await Promise.all(stalled.map((body) => body.closed));
      expect(Date.now() - started).toBeLessThan(10_000);
      for (const body of stalled) expect(body.answer()).toMatch(/^HTTP\/1\.1 408 [^]*"request_timeout"/);
    });
  });

  // This one starts its own service: what it logs while starting is part of what is checked.
  it('keeps secrets out of its log, error bodies and stored events', async () => {
    const secret = 'very-secret-webhook-key';
    const lines: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    const writeErr = process.stderr.write.bind(process.stderr);
    const capture = (chunk: string | Uint8Array) => {
      lines.push(chunk.toString());
      return true;
    };
    process.stdout.write = capture;
    process.stderr.write = capture;
    let t: TestApp | undefined;
    try {
      t = await startTestApp({ NODE_ENV: 'development', WEBHOOK_SECRET: secret });
      await deliver(t.url, newOrderEvent({ orderId: 's-1' }), { secret: 'wrong' });
      const ok = await deliver(t.url, newOrderEvent({ id: 's-2', orderId: 's-2' }), { secret, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(ok.status).toBe(200);
      await admin(t.url, 'GET', '/inventory/nope', undefined, 'wrong-token');
      const [{ id }] = await t.db.query(`SELECT id FROM webhook_events`);
      const stored = await admin(t.url, 'GET', `/webhook-events/${id}`);
      expect(JSON.stringify(stored.body)).not.toContain(secret);
      expect(JSON.stringify(stored.body)).not.toContain(ADMIN_TOKEN);
    } finally {
      // Closed while still captured: its stop is logged too (at info, this app being in development).
      await t?.close();
      process.stdout.write = write;
      process.stderr.write = writeErr;
    }
    const log = lines.join('');
    expect(log).toContain('POST /webhooks: hmac-sha256, 1 secret(s)');
    expect(log).not.toContain(secret);
    expect(log).not.toContain(ADMIN_TOKEN);
  });
});

describe('HTTPS', () => {
  let dir: string;
  let t: TestApp;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'shelfsync-tls-'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    t = await startTestApp({ TLS_CERT_FILE: join(dir, 'cert.pem'), TLS_KEY_FILE: join(dir, 'key.pem') });
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves HTTPS with TLS_CERT_FILE and TLS_KEY_FILE', async () => {
    const port = new URL(t.url).port;
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpsRequest(
        { host: '127.0.0.1', port, path: '/health', ca: readFileSync(join(dir, 'cert.pem')) },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve(`${res.statusCode} ${text}`));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(body).toBe('200 {"status":"ok","database":"up"}');
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  });
});

describe('OpenAPI', () => {
  const t = useTestApp();

  it('describes the whole API at /docs-json, the webhook signature headers included', async () => {
    const res = await fetch(`${t.url}/docs-json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      paths: Record<string, Record<string, { parameters?: { name: string; in: string }[]; responses: Record<string, unknown> }>>;
    };
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/health',
      '/inventory',
      '/inventory/{sku}',
      '/inventory/{sku}/adjustments',
      '/metrics',
      '/notification-endpoints',
      '/notification-endpoints/{id}',
      '/notification-endpoints/{id}/rotate-secret',
      '/notifications',
      '/notifications/{id}/retry',
      '/orders',
      '/orders/{order_id}',
      '/orders/{order_id}/attention/resolve',
      '/webhook-events',
      '/webhook-events/{id}',
      '/webhook-events/{id}/replay',
      '/webhooks',
      '/webhooks/{source}',
    ]);
    const headers = doc.paths['/webhooks'].post.parameters!.filter((p) => p.in === 'header').map((p) => p.name);
    expect(headers).toEqual(expect.arrayContaining(['x-signature', 'webhook-id', 'webhook-timestamp', 'webhook-signature', 'stripe-signature']));
    expect(Object.keys(doc.paths['/inventory/{sku}'])).toEqual(expect.arrayContaining(['get', 'put']));
    expect(Object.keys(doc.paths['/orders/{order_id}/attention/resolve'].post.responses).sort()).toEqual(['200', '400', '401', '404', '409', '429']);
    expect(doc.paths['/orders'].get.parameters!.map((p) => p.name)).toEqual(expect.arrayContaining(['status', 'needs_attention']));
    // every answer the edge can give a delivery, the body rules' 408, 429 and 503 included
    expect(Object.keys(doc.paths['/webhooks'].post.responses).sort()).toEqual(['200', '400', '401', '403', '404', '408', '413', '415', '429', '503']);
  });

  it('serves the page at /docs', async () => {
    const res = await fetch(`${t.url}/docs`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('swagger');
  });
});
