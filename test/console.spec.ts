import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { ModulesContainer } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { resetDatabase, seedStock, stockOf } from './support/database.js';
import { pageThrough, seedLists } from './support/paging.js';
import { ADMIN_TOKEN, consoleSession, deliver, newOrderEvent, startTestApp, type TestApp } from './support/test-app.js';

/** Every route the app's controllers declare, as Nest maps them: `GET /console/deliveries/:id`. */
function routesOf(app: NestFastifyApplication): string[] {
  const routes: string[] = [];
  const join = (...parts: string[]) => `/${parts.map((p) => p.replace(/^\/+|\/+$/g, '')).filter(Boolean).join('/')}`;
  for (const module of app.get(ModulesContainer).values()) {
    for (const { metatype } of module.controllers.values()) {
      const controller = metatype as { prototype: Record<string, unknown> } | null;
      if (!controller) continue;
      const base = Reflect.getMetadata(PATH_METADATA, controller) as string;
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler = controller.prototype[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const path = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
        if (path === undefined) continue;
        routes.push(`${RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number]} ${join(base, path)}`);
      }
    }
  }
  return routes;
}

/** The console's routes open without a session: signing in and out. Every other one needs it. */
const OPEN_ROUTES = ['GET /console/login', 'POST /console/login', 'POST /console/logout'];

describe('the console, over HTTP', () => {
  let t: TestApp;
  let cookie: string;

  const page = (path: string, options: RequestInit = {}) =>
    fetch(`${t.url}${path}`, { redirect: 'manual', ...options, headers: { cookie, ...(options.headers as Record<string, string>) } });
  const form = (path: string, fields: Record<string, string>) =>
    page(path, { method: 'POST', body: new URLSearchParams(fields), headers: { 'content-type': 'application/x-www-form-urlencoded' } });

  /** The text of the page's message box, if it shows one. */
  const flashOf = (text: string) => /<div class="flash[^"]*" role="status">([^<]*)<\/div>/.exec(text)?.[1];

  beforeAll(async () => {
    t = await startTestApp();
    cookie = await consoleSession(t.url);
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await resetDatabase(t.db);
    await seedStock(t.db, { A: 10 });
  });

  it('sends a visitor without a session to the login form, and keeps the token out of URLs and cookies', async () => {
    const anonymous = await fetch(`${t.url}/console/deliveries`, { redirect: 'manual' });
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toBe('/console/login');
    const wrong = await fetch(`${t.url}/console/login`, {
      method: 'POST',
      body: new URLSearchParams({ token: 'nope' }),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('That is not the admin token.');
    expect(cookie).not.toContain(ADMIN_TOKEN);
    const forged = await fetch(`${t.url}/console/deliveries`, { redirect: 'manual', headers: { cookie: 'shelfsync_console=9999999999999.AAAA' } });
    expect(forged.status).toBe(303);
  });

  it('sets a session cookie a script cannot read and another site cannot send, valid only until it expires', async () => {
    const login = await fetch(`${t.url}/console/login`, {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams({ token: ADMIN_TOKEN }),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    const attributes = login.headers.get('set-cookie')!;
    expect(attributes).toMatch(/; HttpOnly/);
    expect(attributes).toMatch(/; SameSite=Strict/);
    expect(attributes).toMatch(/; Path=\/console/);
    const { issueSession } = await import('../src/auth/admin-token.js');
    const expired = issueSession(ADMIN_TOKEN, Date.now() - 13 * 3_600_000);
    const old = await fetch(`${t.url}/console/deliveries`, { redirect: 'manual', headers: { cookie: `shelfsync_console=${expired}` } });
    expect(old.status).toBe(303);
  });

  it('sends every console route but signing in and out to the login form without a session, whichever controller declares it', async () => {
    const routes = routesOf(t.app).filter((route) => route.split(' ')[1].startsWith('/console'));
    expect(routes).toEqual(expect.arrayContaining([...OPEN_ROUTES, 'GET /console/deliveries/:id', 'POST /console/notifications/:id/retry']));
    expect(routes.length).toBeGreaterThanOrEqual(14);
    await deliver(t.url, JSON.stringify({ id: 'odd', event: 'customer_waved', data: {} }));
    const [{ id }] = await t.db.query<{ id: string }[]>(`SELECT id::text AS id FROM webhook_events`);
    for (const route of routes.filter((r) => !OPEN_ROUTES.includes(r))) {
      const [method, path] = route.split(' ');
      const url = path.replace(':id', id).replace(':sku', 'A').replace(':order_id', '42');
      const res = await fetch(`${t.url}${url}`, {
        method,
        redirect: 'manual',
        ...(method === 'GET' ? {} : { body: 'delta=5&reason=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
      });
      expect([route, res.status, res.headers.get('location')]).toEqual([route, 303, '/console/login']);
    }
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 10, reserved: 0 });
    expect(await t.db.query(`SELECT attempts FROM webhook_events`)).toEqual([{ attempts: 1 }]);
  });

  it('refuses the console\'s actions without a session, and from another site even with one', async () => {
    const anonymous = { 'content-type': 'application/x-www-form-urlencoded' };
    const replay = await fetch(`${t.url}/console/deliveries/1/replay`, { method: 'POST', redirect: 'manual', headers: anonymous });
    const adjust = await fetch(`${t.url}/console/inventory/A/adjust`, {
      method: 'POST',
      redirect: 'manual',
      headers: anonymous,
      body: new URLSearchParams({ delta: '5', reason: 'x' }),
    });
    expect([replay.status, adjust.status]).toEqual([303, 303]);
    expect(adjust.headers.get('location')).toBe('/console/login');
    const crossSite = await page('/console/inventory/A/adjust', {
      method: 'POST',
      body: new URLSearchParams({ delta: '5', reason: 'x' }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    });
    expect(crossSite.status).toBe(403);
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 10, reserved: 0 });
  });

  it('lists deliveries and shows one, escaping everything a sender wrote', async () => {
    await deliver(t.url, JSON.stringify({ id: 'x<script>"q', event: 'new_order', data: { order_id: '<img src=x onerror=alert(1)>', customer_name: '<b>bold</b>', total_amount: 1 } }));
    const list = await (await page('/console/deliveries')).text();
    expect(list).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(list).not.toContain('<img src=x');
    expect(list).not.toContain('<script>');
    // In an attribute, a quote must not end it.
    expect(list).toContain('data-event-id="x&lt;script&gt;&quot;q"');
    const [{ id }] = await t.db.query(`SELECT id FROM webhook_events`);
    const detail = await (await page(`/console/deliveries/${id}`)).text();
    expect(detail).toContain('&lt;b&gt;bold&lt;/b&gt;');
    expect(detail).not.toContain('<b>bold</b>');
    // What the source speaks, and what the delivery became.
    expect(detail).toContain('<td id="provider">shelfsync</td>');
    expect(detail).toContain('<td id="became">new_order</td>');
  });

  it('shows a body as it was written, a 64-bit number digit for digit', async () => {
    const body = '{"id":"big","event":"customer_waved","data":{"n":9007199254740993}}';
    await deliver(t.url, body);
    const [{ id }] = await t.db.query(`SELECT id FROM webhook_events WHERE event_id = 'big'`);
    const detail = await (await page(`/console/deliveries/${id}`)).text();
    expect(detail).toContain('&quot;n&quot;: 9007199254740993');
    expect(detail).toContain('<td id="became">nothing (asks nothing of an order)</td>');
  });

  it('filters deliveries by status, type and source', async () => {
    await deliver(t.url, newOrderEvent({ id: 'keep', orderId: 'o1' }));
    await deliver(t.url, JSON.stringify({ id: 'odd', event: 'customer_waved', data: {} }));
    const ignored = await (await page('/console/deliveries?status=ignored&since=60')).text();
    expect(ignored).toContain('data-event-id="odd"');
    expect(ignored).not.toContain('data-event-id="keep"');
    const byType = await (await page('/console/deliveries?type=new_order&source=default')).text();
    expect(byType).toContain('data-event-id="keep"');
    expect(byType).not.toContain('data-event-id="odd"');
  });

  it('adjusts stock from the inventory page and says what happened, in its own words', async () => {
    const added = await form('/console/inventory/A/adjust', { delta: '5', reason: 'found a box' });
    expect(added.status).toBe(303);
    expect(added.headers.get('location')).toBe('/console/inventory?sku=A&done=adjusted');
    expect(flashOf(await (await page(added.headers.get('location')!)).text())).toBe('A: adjusted, now 15 on hand.');
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 15, reserved: 0 });
    // a refusal is answered with the page and the service's reason, no redirect carrying it
    const refused = await form('/console/inventory/A/adjust', { delta: '-100', reason: 'oops' });
    expect(refused.status).toBe(409);
    expect(flashOf(await refused.text())).toContain('below the 0 units reserved');
    const noReason = await form('/console/inventory/A/adjust', { delta: '1', reason: '' });
    expect(noReason.status).toBe(400);
    expect(flashOf(await noReason.text())).toBe('Give a reason: it goes to the stock ledger.');
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 15, reserved: 0 });
  });

  it('replays a delivery and says what it became; a refused replay answers the page with the reason', async () => {
    await deliver(t.url, JSON.stringify({ id: 'odd', event: 'customer_waved', data: {} }));
    await deliver(t.url, newOrderEvent({ id: 'done', orderId: 'o1' }));
    const ids = Object.fromEntries(
      (await t.db.query<{ event_id: string; id: string }[]>(`SELECT event_id, id::text AS id FROM webhook_events`)).map((r) => [r.event_id, r.id]),
    );
    const replayed = await form(`/console/deliveries/${ids.odd}/replay`, {});
    expect([replayed.status, replayed.headers.get('location')]).toEqual([303, `/console/deliveries/${ids.odd}?done=replayed`]);
    expect(flashOf(await (await page(replayed.headers.get('location')!)).text())).toBe('Replayed: the delivery is now ignored.');
    const refused = await form(`/console/deliveries/${ids.done}/replay`, {});
    expect(refused.status).toBe(409);
    expect(flashOf(await refused.text())).toBe(`only failed or ignored events can be replayed; event ${ids.done} is processed`);
    const unknown = await form('/console/deliveries/999999/replay', {});
    expect(unknown.status).toBe(404);
    expect(flashOf(await unknown.text())).toBe('There is no delivery with that id.');
    expect(await t.db.query(`SELECT event_id, attempts FROM webhook_events ORDER BY id`)).toEqual([
      { event_id: 'odd', attempts: 2 },
      { event_id: 'done', attempts: 1 },
    ]);
  });

  it('shows no text a link brings: a notice is a code naming one of its own texts, and an unknown code shows nothing', async () => {
    const lure = 'Your session expired. Log in again at https://evil.example';
    for (const path of [
      `/console/inventory?problem=${encodeURIComponent(lure)}`,
      `/console/inventory?notice=${encodeURIComponent(lure)}`,
      `/console/inventory?done=${encodeURIComponent(lure)}`,
      `/console/inventory?done=adjusted&sku=${encodeURIComponent(lure)}`,
      '/console/inventory?done=retried',
      `/console/deliveries?problem=${encodeURIComponent(lure)}`,
      `/console/notifications?done=retried&id=${encodeURIComponent(lure)}`,
      `/console/notifications?problem=${encodeURIComponent(lure)}`,
    ]) {
      const res = await page(path);
      expect([path, res.status]).toEqual([path, 200]);
      const text = await res.text();
      expect([path, flashOf(text)]).toEqual([path, undefined]);
      expect(text).not.toContain('evil.example');
    }
    // a known code says what the server reads now, whatever the link claims
    expect(flashOf(await (await page('/console/inventory?done=adjusted&sku=A')).text())).toBe('A: adjusted, now 10 on hand.');
    // a path is not a message either: the banner says what is missing in its own words
    for (const path of [`/console/orders/${encodeURIComponent(lure)}`, `/console/deliveries/${encodeURIComponent(lure)}`]) {
      const res = await page(path);
      expect(res.status).toBe(404);
      expect(flashOf(await res.text())).toMatch(/^There is no (order|delivery) with that id\.$/);
    }
  });

  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    page(path, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });

  it('answers a form from an Origin that is no URL with 403, not 500', async () => {
    for (const origin of ['garbage', 'http://', 'http://[::1', '']) {
      for (const [path, body] of [
        ['/console/login', `token=${ADMIN_TOKEN}`],
        ['/console/logout', ''],
        ['/console/inventory/A/adjust', 'delta=5&reason=x'],
      ]) {
        const res = await post(path, body, { origin });
        expect([origin, path, res.status]).toEqual([origin, path, 403]);
        expect(await res.text()).toContain('That form came from another site');
      }
    }
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 10, reserved: 0 });
  });

  it('answers a form field or page parameter given twice with 400 naming it, not 500', async () => {
    for (const [path, body, field] of [
      ['/console/login', 'token=a&token=b', 'token'],
      ['/console/login', `token=${ADMIN_TOKEN}&token=${ADMIN_TOKEN}`, 'token'],
      ['/console/inventory/A/adjust', 'delta=5&delta=6&reason=x', 'delta'],
    ]) {
      const res = await post(path, body);
      expect([path, body, res.status]).toEqual([path, body, 400]);
      const answer = (await res.json()) as { errors: { field: string; message: string }[] };
      expect(answer.errors).toEqual([{ field, message: `${field} is given more than once` }]);
      expect(res.headers.get('set-cookie')).toBeNull();
    }
    expect((await page('/console/deliveries?status=failed&status=ignored')).status).toBe(400);
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 10, reserved: 0 });
  });

  it('answers a JSON form field that is not a string with 400 naming it, not 500, and changes nothing', async () => {
    const json = (path: string, body: string) => post(path, body, { 'content-type': 'application/json' });
    for (const [path, body, field, message] of [
      ['/console/login', '{"token":{}}', 'token', 'token must be a string'],
      ['/console/login', '{"token":42}', 'token', 'token must be a string'],
      ['/console/login', '{"token":null}', 'token', 'token must be a string'],
      ['/console/login', `[${JSON.stringify(ADMIN_TOKEN)}]`, 'body', 'the body must be a form'],
      ['/console/inventory/A/adjust', '{"delta":true,"reason":"x"}', 'delta', 'delta must be a string'],
      ['/console/inventory/A/adjust', '{"delta":"5","reason":{"text":"x"}}', 'reason', 'reason must be a string'],
    ]) {
      const res = await json(path, body);
      expect([path, body, res.status]).toEqual([path, body, 400]);
      const answer = (await res.json()) as { errors: { field: string; message: string }[] };
      expect(answer.errors).toEqual([{ field, message }]);
      expect(res.headers.get('set-cookie')).toBeNull();
    }
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 10, reserved: 0 });
    // A JSON form of strings is read as the urlencoded one is.
    expect((await json('/console/login', JSON.stringify({ token: ADMIN_TOKEN }))).status).toBe(303);
  });

  it('shows an order with its history as a timeline linking each change to its delivery', async () => {
    await deliver(t.url, newOrderEvent({ id: 'n', orderId: '42', items: [{ sku: 'A', quantity: 2 }] }));
    await deliver(t.url, JSON.stringify({ id: 'p', event: 'payment_succeeded', data: { order_id: 42 } }));
    const order = await (await page('/console/orders/42')).text();
    expect(order).toContain('created → pending');
    expect(order).toContain('pending → paid');
    expect(order).toMatch(/href="\/console\/deliveries\/\d+"/);
    expect((await page('/console/orders/find?order_id=42')).headers.get('location')).toBe('/console/orders/42');
    expect((await page('/console/orders/nope')).status).toBe(404);
  });
  // The console's pages are 50 or 100 rows long: 230 rows give several pages, ids crossing 9 to 10 and 99 to 100.
  it.each([
    ['/console/deliveries', /<tr data-event-id="[^"]*"><td><a href="\/console\/deliveries\/(\d+)">/g, (n: number[]) => n.map(String)],
    ['/console/inventory', /<tr data-sku="([^"]*)"/g, (n: number[]) => ['A', ...n.map((g) => `SKU-${g}`)].sort()],
    ['/console/endpoints', /<tr data-endpoint-id="([^"]*)"/g, (_n: number[], endpoints: string[]) => [...endpoints].reverse()],
    ['/console/notifications', /<tr data-id="(\d+)"/g, (n: number[]) => n.map(String)],
  ])('%s reaches every row exactly once, in its order, following its link to the next page', async (path, row, expected) => {
    const N = 230;
    const endpoints = await seedLists(t.db, N);
    const { keys, pages } = await pageThrough(async (next) => {
      const res = await page(next ?? path);
      expect(res.status).toBe(200);
      const text = await res.text();
      const link = /<a href="(\/console\/[a-z]+\?[^"]*cursor=[^"]*)">/.exec(text);
      return { keys: [...text.matchAll(row)].map((m) => m[1]), cursor: link ? link[1].replaceAll('&amp;', '&') : null };
    });
    expect(keys).toEqual(expected(Array.from({ length: N }, (_, i) => N - i), endpoints));
    expect(pages).toBeGreaterThan(2);
  });
});
