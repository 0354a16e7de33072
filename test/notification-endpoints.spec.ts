import { beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { whsecKey } from '../src/common/whsec-secret.js';
import { count } from './support/database.js';
import { admin, ADMIN_TOKEN, type Answer, consoleSession, useTestApp } from './support/test-app.js';

const ALL_EVENTS = ['order.status_changed', 'order.needs_attention', 'stock.low'];
/** A public address, written as a literal so that no test depends on DNS (93.184.216.34: example.com's). */
const PUBLIC_URL = 'http://93.184.216.34/hooks/shelfsync';

/** Where the URL guard must refuse to send (NOTIFY_ALLOW_PRIVATE_NETWORKS unset), each through the API. */
const PRIVATE_URLS: [string, string][] = [
  ['loopback', 'http://127.0.0.1:9/x'],
  ['a private network (RFC 1918)', 'http://10.0.0.1/hook'],
  ['link-local', 'http://169.254.10.20/hook'],
  ['the cloud metadata address', 'http://169.254.169.254/latest/meta-data/'],
  ['IPv6 unique local', 'http://[fd00::1]/'],
  ['IPv6 loopback', 'http://[::1]:8080/hook'],
  ['a name that resolves to loopback', 'http://localhost:9/hook'],
];

/** Row by row (their messages go with them): a TRUNCATE's exclusive locks could deadlock with the app's running sender. */
async function clear(db: DataSource): Promise<void> {
  await db.query('DELETE FROM notification_endpoints');
}

async function rowOf(db: DataSource, id: string): Promise<Record<string, unknown> | undefined> {
  const rows: Record<string, unknown>[] = await db.query(`SELECT * FROM notification_endpoints WHERE id = $1`, [id]);
  return rows[0];
}

/** A 400 that names `field` (and only it). */
function expectInvalid(res: Answer, field: string): string {
  expect(res.status).toBe(400);
  expect(res.body.error).toBe('invalid_payload');
  const errors = res.body.errors as { field: string; message: string }[];
  expect(errors.map((e) => e.field)).toEqual([field]);
  return errors[0].message;
}

describe('notification endpoints (NOTIFY_ALLOW_PRIVATE_NETWORKS unset)', () => {
  const t = useTestApp({ NOTIFY_ALLOW_PRIVATE_NETWORKS: undefined });
  beforeEach(() => clear(t.db));

  const create = (body: unknown) => admin(t.url, 'POST', '/notification-endpoints', body);

  describe('POST /notification-endpoints', () => {
    it('registers an endpoint for every event type, answering its whsec_ secret this once', async () => {
      const res = await create({ url: PUBLIC_URL, description: 'storefront production' });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        url: PUBLIC_URL,
        events: ALL_EVENTS,
        description: 'storefront production',
        status: 'enabled',
        status_reason: null,
        secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]+=*$/),
        created_at: expect.any(String),
        updated_at: expect.any(String),
      });
      const secret = res.body.secret as string;
      expect(whsecKey(secret).length).toBeGreaterThanOrEqual(24);
      const row = await rowOf(t.db, res.body.id as string);
      // "every event type" is stored as NULL, so a type added later reaches it too
      expect(row).toMatchObject({ url: PUBLIC_URL, events: null, status: 'enabled', secret, previous_secret: null });
      const other = await create({ url: PUBLIC_URL });
      expect(other.body.secret).not.toBe(secret);
      expect(other.body.description).toBeNull();
    });

    it('keeps the event types asked for, each once, and normalises the URL it stores', async () => {
      const res = await create({ url: 'HTTP://93.184.216.34:80/a/../hook', events: ['stock.low', 'order.needs_attention', 'stock.low'] });
      expect(res.status).toBe(201);
      expect(res.body.events).toEqual(['stock.low', 'order.needs_attention']);
      expect(res.body.url).toBe('http://93.184.216.34/hook');
      expect(await rowOf(t.db, res.body.id as string)).toMatchObject({
        events: ['stock.low', 'order.needs_attention'],
        url: 'http://93.184.216.34/hook',
      });
    });

    it('refuses unknown event types, naming them, and an empty list; nothing is stored', async () => {
      const unknown = await create({ url: PUBLIC_URL, events: ['stock.low', 'order.created', 'bogus'] });
      const message = expectInvalid(unknown, 'events');
      expect(message).toContain('order.created');
      expect(message).toContain('bogus');
      expect(message).not.toMatch(/unknown event types:.*stock\.low.*\(known/);
      expectInvalid(await create({ url: PUBLIC_URL, events: [] }), 'events');
      expectInvalid(await create({ url: PUBLIC_URL, events: 'stock.low' }), 'events');
      expectInvalid(await create({ url: PUBLIC_URL, events: [42] }), 'events');
      expect(await count(t.db, 'notification_endpoints')).toBe(0);
    });

    it('refuses a missing url, unknown fields and a description too long', async () => {
      expectInvalid(await create({ events: ['stock.low'] }), 'url');
      expectInvalid(await create({ url: PUBLIC_URL, secret: 'whsec_mine' }), 'secret');
      expectInvalid(await create({ url: PUBLIC_URL, description: 'x'.repeat(501) }), 'description');
      expect(await count(t.db, 'notification_endpoints')).toBe(0);
    });

    it.each(PRIVATE_URLS)('refuses %s (%s) with a 400 naming url; nothing is stored', async (_what, url) => {
      const res = await create({ url });
      const message = expectInvalid(res, 'url');
      expect(message).toMatch(/loopback, private or link-local/);
      expect(message).toContain('NOTIFY_ALLOW_PRIVATE_NETWORKS');
      expect(await count(t.db, 'notification_endpoints')).toBe(0);
    });

    it.each([
      ['a non-http scheme', 'ftp://93.184.216.34/hook', /http or https/],
      ['a file URL', 'file:///etc/passwd', /http or https/],
      ['a relative URL', '/hook', /absolute/],
      ['credentials in the URL', 'https://user:pass@93.184.216.34/hook', /credentials/],
    ])('refuses %s with a 400 naming url', async (_what, url, reason) => {
      expect(expectInvalid(await create({ url }), 'url')).toMatch(reason);
      expect(await count(t.db, 'notification_endpoints')).toBe(0);
    });
  });

  describe('GET /notification-endpoints and /notification-endpoints/:id', () => {
    it('lists endpoints newest first, a page at a time, never with a secret', async () => {
      const secrets: string[] = [];
      const ids: string[] = [];
      for (const path of ['one', 'two', 'three']) {
        const res = await create({ url: `${PUBLIC_URL}/${path}` });
        secrets.push(res.body.secret as string);
        ids.push(res.body.id as string);
      }
      const rotated = await admin(t.url, 'POST', `/notification-endpoints/${ids[0]}/rotate-secret`);
      secrets.push(rotated.body.secret as string);

      const first = await admin(t.url, 'GET', '/notification-endpoints?limit=2');
      expect(first.status).toBe(200);
      const items = first.body.items as Record<string, unknown>[];
      expect(items.map((e) => e.id)).toEqual([ids[2], ids[1]]);
      expect(Object.keys(items[0]).sort()).toEqual(['created_at', 'description', 'events', 'id', 'status', 'status_reason', 'updated_at', 'url']);
      expect(typeof first.body.next_cursor).toBe('string');
      const second = await admin(t.url, 'GET', `/notification-endpoints?limit=2&cursor=${first.body.next_cursor as string}`);
      expect((second.body.items as { id: string }[]).map((e) => e.id)).toEqual([ids[0]]);
      expect(second.body.next_cursor).toBeNull();

      const shown = await admin(t.url, 'GET', `/notification-endpoints/${ids[0]}`);
      expect(shown.status).toBe(200);
      expect(shown.body).toEqual({ ...items[0], id: ids[0], url: `${PUBLIC_URL}/one`, created_at: expect.any(String), updated_at: expect.any(String) });
      for (const text of [JSON.stringify(first.body), JSON.stringify(second.body), JSON.stringify(shown.body)]) {
        expect(text).not.toContain('whsec_');
        expect(text).not.toMatch(/secret/);
        for (const secret of secrets) expect(text).not.toContain(secret.slice('whsec_'.length));
      }
    });

    it('answers 404 for an unknown endpoint and 400 naming id for a malformed one, or a forged cursor', async () => {
      const unknown = await admin(t.url, 'GET', '/notification-endpoints/00000000-0000-4000-8000-000000000000');
      expect(unknown.status).toBe(404);
      expect(unknown.body.error).toBe('not_found');
      expectInvalid(await admin(t.url, 'GET', '/notification-endpoints/not-a-uuid'), 'id');
      expectInvalid(await admin(t.url, 'GET', '/notification-endpoints/1'), 'id');
      expectInvalid(await admin(t.url, 'GET', '/notification-endpoints?cursor=abc'), 'cursor');
      expectInvalid(await admin(t.url, 'GET', '/notification-endpoints?limit=0'), 'limit');
    });
  });

  describe('PATCH /notification-endpoints/:id', () => {
    let id: string;
    beforeEach(async () => {
      id = (await create({ url: PUBLIC_URL, events: ['stock.low'], description: 'first' })).body.id as string;
    });
    const patch = (body: unknown, target = id) => admin(t.url, 'PATCH', `/notification-endpoints/${target}`, body);

    it('changes only the fields given: url, events (null for all), description', async () => {
      const res = await patch({ url: 'https://93.184.216.34/new', events: ['order.status_changed'] });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id, url: 'https://93.184.216.34/new', events: ['order.status_changed'], description: 'first', status: 'enabled' });
      expect(res.body).not.toHaveProperty('secret');
      const all = await patch({ events: null, description: null });
      expect(all.body).toMatchObject({ events: ALL_EVENTS, description: null, url: 'https://93.184.216.34/new' });
      const row = await rowOf(t.db, id);
      expect(row).toMatchObject({ events: null, description: null, url: 'https://93.184.216.34/new' });
      expect((row!.updated_at as Date).getTime()).toBeGreaterThan((row!.created_at as Date).getTime());
    });

    it('disables it (by operator) and enables it again, clearing the reason, a 410\'s included', async () => {
      const off = await patch({ status: 'disabled' });
      expect(off.status).toBe(200);
      expect(off.body).toMatchObject({ status: 'disabled', status_reason: 'disabled by operator' });
      const on = await patch({ status: 'enabled' });
      expect(on.body).toMatchObject({ status: 'enabled', status_reason: null });
      // as the sender leaves an endpoint that answered 410
      await t.db.query(`UPDATE notification_endpoints SET status = 'disabled', status_reason = 'answered 410 Gone' WHERE id = $1`, [id]);
      const again = await patch({ status: 'disabled' });
      expect(again.body).toMatchObject({ status: 'disabled', status_reason: 'answered 410 Gone' });
      const reenabled = await patch({ status: 'enabled' });
      expect(reenabled.body).toMatchObject({ status: 'enabled', status_reason: null });
      expect(await rowOf(t.db, id)).toMatchObject({ status: 'enabled', status_reason: null });
    });

    it('checks a new url as on creation, and refuses bad fields; the endpoint stays as it was', async () => {
      expect(expectInvalid(await patch({ url: 'http://169.254.169.254/' }), 'url')).toMatch(/link-local/);
      expectInvalid(await patch({ url: 'http://localhost/' }), 'url');
      expectInvalid(await patch({ url: 'gopher://93.184.216.34/' }), 'url');
      expectInvalid(await patch({ url: null }), 'url');
      expectInvalid(await patch({ status: 'paused' }), 'status');
      expectInvalid(await patch({ events: ['nope'] }), 'events');
      expectInvalid(await patch({ secret: 'whsec_AAAA' }), 'secret');
      expect(await rowOf(t.db, id)).toMatchObject({ url: PUBLIC_URL, events: ['stock.low'], description: 'first', status: 'enabled' });
    });

    it('answers 404 for an unknown endpoint, 400 for a malformed id', async () => {
      expect((await patch({ description: 'x' }, '00000000-0000-4000-8000-000000000000')).status).toBe(404);
      expectInvalid(await patch({ description: 'x' }, 'nope'), 'id');
    });
  });

  describe('DELETE /notification-endpoints/:id', () => {
    it('answers 204 and deletes the endpoint with its messages', async () => {
      const id = (await create({ url: PUBLIC_URL })).body.id as string;
      const keep = (await create({ url: PUBLIC_URL })).body.id as string;
      for (const [endpoint, message] of [[id, 'msg_1'], [keep, 'msg_2']]) {
        await t.db.query(`INSERT INTO notifications (endpoint_id, message_id, event_type, body) VALUES ($1, $2, 'stock.low', '{}')`, [endpoint, message]);
      }
      const res = await fetch(`${t.url}/notification-endpoints/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(res.status).toBe(204);
      expect(await res.text()).toBe('');
      expect(await rowOf(t.db, id)).toBeUndefined();
      expect(await count(t.db, 'notifications')).toBe(1);
      expect(await count(t.db, 'notifications', 'endpoint_id = $1', [keep])).toBe(1);
      expect((await admin(t.url, 'GET', `/notification-endpoints/${id}`)).status).toBe(404);
      expect((await admin(t.url, 'DELETE', `/notification-endpoints/${id}`)).status).toBe(404);
      expectInvalid(await admin(t.url, 'DELETE', '/notification-endpoints/x'), 'id');
    });
  });

  describe('POST /notification-endpoints/:id/rotate-secret', () => {
    it('answers a new secret; the old one keeps signing beside it for 24 hours by the database clock', async () => {
      const created = await create({ url: PUBLIC_URL });
      const id = created.body.id as string;
      const old = created.body.secret as string;
      const res = await admin(t.url, 'POST', `/notification-endpoints/${id}/rotate-secret`);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body)).toEqual(['secret']);
      const secret = res.body.secret as string;
      expect(secret).toMatch(/^whsec_/);
      expect(whsecKey(secret).length).toBeGreaterThanOrEqual(24);
      expect(secret).not.toBe(old);

      const [row] = await t.db.query(
        `SELECT secret, previous_secret,
                previous_secret_until - now() BETWEEN interval '23 hours 59 minutes' AND interval '24 hours' AS left_ok,
                -- what the sender signs with: both now, only the new one once the 24 hours are over (as if the
                -- clock had moved on by 24 hours and a second)
                shelfsync_signing_secrets(secret, previous_secret, previous_secret_until) AS signing_now,
                shelfsync_signing_secrets(secret, previous_secret, previous_secret_until - interval '24 hours 1 second') AS signing_after
           FROM notification_endpoints WHERE id = $1`,
        [id],
      );
      expect(row).toEqual({ secret, previous_secret: old, left_ok: true, signing_now: [secret, old], signing_after: [secret] });

      // shown nowhere but in the rotation's answer
      const shown = JSON.stringify((await admin(t.url, 'GET', `/notification-endpoints/${id}`)).body);
      expect(shown).not.toContain('whsec_');

      // a second rotation: the secret just replaced becomes the previous one
      const again = await admin(t.url, 'POST', `/notification-endpoints/${id}/rotate-secret`);
      expect(await rowOf(t.db, id)).toMatchObject({ secret: again.body.secret, previous_secret: secret });
    });

    it.each([
      ['never rotated', null, null, ['whsec_new']],
      ['rotated, the previous one valid for another hour', 'whsec_old', '1 hour', ['whsec_new', 'whsec_old']],
      ['the previous one valid for one more millisecond', 'whsec_old', '1 millisecond', ['whsec_new', 'whsec_old']],
      ['the previous one expiring exactly now', 'whsec_old', '0', ['whsec_new']],
      ['the previous one expired a second ago', 'whsec_old', '-1 second', ['whsec_new']],
      ['a previous secret without an expiry (never written so): not used', 'whsec_old', null, ['whsec_new']],
      ['an expiry without a previous secret', null, '1 hour', ['whsec_new']],
    ] as const)('the sender signs with (signing_secrets.sql, by the database clock): %s', async (_case, previous, expiresIn, expected) => {
      const [{ secrets }] = await t.db.query(`SELECT shelfsync_signing_secrets('whsec_new', $1, now() + $2::interval) AS secrets`, [previous, expiresIn]);
      expect(secrets).toEqual(expected);
    });

    it('answers 404 for an unknown endpoint, 400 for a malformed id', async () => {
      expect((await admin(t.url, 'POST', '/notification-endpoints/00000000-0000-4000-8000-000000000000/rotate-secret')).status).toBe(404);
      expectInvalid(await admin(t.url, 'POST', '/notification-endpoints/123/rotate-secret'), 'id');
    });
  });

  describe('the admin token', () => {
    it.each([
      ['no Authorization header', null],
      ['a wrong token', 'wrong-token'],
    ])('is needed by every route: 401 with %s, and nothing changes', async (_what, token) => {
      const created = await create({ url: PUBLIC_URL });
      const id = created.body.id as string;
      for (const [method, path, body] of [
        ['POST', '/notification-endpoints', { url: PUBLIC_URL }],
        ['GET', '/notification-endpoints', undefined],
        ['GET', `/notification-endpoints/${id}`, undefined],
        ['PATCH', `/notification-endpoints/${id}`, { status: 'disabled' }],
        ['DELETE', `/notification-endpoints/${id}`, undefined],
        ['POST', `/notification-endpoints/${id}/rotate-secret`, undefined],
      ] as const) {
        const res = await admin(t.url, method, path, body, token);
        expect([method, path, res.status, res.body.error]).toEqual([method, path, 401, 'unauthorized']);
      }
      expect(await count(t.db, 'notification_endpoints')).toBe(1);
      expect(await rowOf(t.db, id)).toMatchObject({ status: 'enabled', secret: created.body.secret, previous_secret: null });
    });
  });

  it('describes every route in OpenAPI, behind the admin token', async () => {
    const doc = (await (await fetch(`${t.url}/docs-json`)).json()) as {
      paths: Record<string, Record<string, { security?: Record<string, string[]>[]; responses: Record<string, unknown> }>>;
    };
    const routes = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/notification-endpoints'))
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    expect(routes).toEqual([
      'DELETE /notification-endpoints/{id}',
      'GET /notification-endpoints',
      'GET /notification-endpoints/{id}',
      'PATCH /notification-endpoints/{id}',
      'POST /notification-endpoints',
      'POST /notification-endpoints/{id}/rotate-secret',
    ]);
    for (const operations of Object.values(doc.paths).filter((_, i) => Object.keys(doc.paths)[i].startsWith('/notification-endpoints'))) {
      for (const operation of Object.values(operations)) {
        expect(operation.security).toEqual([{ admin: [] }]);
        expect(operation.responses).toHaveProperty('401');
      }
    }
    expect(doc.paths['/notification-endpoints'].post.responses).toHaveProperty('201');
    expect(doc.paths['/notification-endpoints/{id}'].delete.responses).toHaveProperty('204');
  });
});

describe('notification endpoints with NOTIFY_ALLOW_PRIVATE_NETWORKS=true', () => {
  const t = useTestApp({ NOTIFY_ALLOW_PRIVATE_NETWORKS: 'true' });
  beforeEach(() => clear(t.db));

  it.each(PRIVATE_URLS)('accepts %s (%s)', async (_what, url) => {
    const res = await admin(t.url, 'POST', '/notification-endpoints', { url });
    expect(res.status).toBe(201);
    expect(await rowOf(t.db, res.body.id as string)).toMatchObject({ url: new URL(url).href });
    const moved = await admin(t.url, 'PATCH', `/notification-endpoints/${res.body.id as string}`, { url: 'http://192.168.1.5/hook' });
    expect(moved.status).toBe(200);
    expect(moved.body.url).toBe('http://192.168.1.5/hook');
  });

  it('still refuses a non-http scheme and credentials', async () => {
    expectInvalid(await admin(t.url, 'POST', '/notification-endpoints', { url: 'ftp://127.0.0.1/x' }), 'url');
    expectInvalid(await admin(t.url, 'POST', '/notification-endpoints', { url: 'http://a:b@127.0.0.1/x' }), 'url');
    expect(await count(t.db, 'notification_endpoints')).toBe(0);
  });
});

describe('the console\'s endpoints page', () => {
  const t = useTestApp();
  let cookie: string;

  beforeAll(async () => {
    cookie = await consoleSession(t.url);
  });
  beforeEach(() => clear(t.db));

  it('lists every endpoint with its events, status and reason, never a secret, and is linked from the nav', async () => {
    const everything = await admin(t.url, 'POST', '/notification-endpoints', { url: `${PUBLIC_URL}/all`, description: 'main <shop>' });
    const stockOnly = await admin(t.url, 'POST', '/notification-endpoints', { url: `${PUBLIC_URL}/stock`, events: ['stock.low'] });
    await admin(t.url, 'PATCH', `/notification-endpoints/${stockOnly.body.id as string}`, { status: 'disabled' });
    const rotated = await admin(t.url, 'POST', `/notification-endpoints/${everything.body.id as string}/rotate-secret`);
    const secrets = [everything.body.secret, stockOnly.body.secret, rotated.body.secret] as string[];

    const res = await fetch(`${t.url}/console/endpoints`, { redirect: 'manual', headers: { cookie } });
    expect(res.status).toBe(200);
    const page = await res.text();
    const row = (id: string) => new RegExp(`<tr data-endpoint-id="${id}">([\\s\\S]*?)</tr>`).exec(page)?.[1] ?? '';
    const all = row(everything.body.id as string);
    expect(all).toContain(`${PUBLIC_URL}/all`);
    expect(all).toContain(ALL_EVENTS.join(', '));
    expect(all).toContain('enabled');
    expect(all).toContain('main &lt;shop&gt;');
    const stock = row(stockOnly.body.id as string);
    expect(stock).toMatch(/<td class="events">stock\.low<\/td>/);
    expect(stock).toMatch(/<td class="status-reason">disabled by operator<\/td>/);
    expect(stock).toContain('disabled');
    expect(page).toContain('<a href="/console/endpoints">Endpoints</a>');
    expect(page).not.toContain('whsec_');
    for (const secret of secrets) expect(page).not.toContain(secret.slice('whsec_'.length));
    // linked from every page of the console
    expect(await (await fetch(`${t.url}/console/inventory`, { headers: { cookie } })).text()).toContain('href="/console/endpoints"');
  });

  it('sends a visitor without a session to the login form', async () => {
    const res = await fetch(`${t.url}/console/endpoints`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/console/login');
  });
});
