import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { resetDatabase, seedStock, stockOf } from './support/database.js';
import { pageThrough, seedLists } from './support/paging.js';
import { ADMIN_TOKEN, consoleSession, deliver, newOrderEvent, startTestApp, type TestApp } from './support/test-app.js';

describe('the console, over HTTP', () => {
  let t: TestApp;
  let cookie: string;

  const page = (path: string, options: RequestInit = {}) =>
    fetch(`${t.url}${path}`, { redirect: 'manual', ...options, headers: { cookie, ...(options.headers as Record<string, string>) } });
  const form = (path: string, fields: Record<string, string>) =>
    page(path, { method: 'POST', body: new URLSearchParams(fields), headers: { 'content-type': 'application/x-www-form-urlencoded' } });

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

  it('adjusts stock from the inventory page and says what happened', async () => {
    const added = await form('/console/inventory/A/adjust', { delta: '5', reason: 'found a box' });
    expect(added.status).toBe(303);
    const after = await (await page(added.headers.get('location')!)).text();
    expect(after).toContain('A: added 5, now 15 on hand.');
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 15, reserved: 0 });
    const refused = await form('/console/inventory/A/adjust', { delta: '-100', reason: 'oops' });
    expect(decodeURIComponent(refused.headers.get('location')!)).toContain('below the 0 units reserved');
    const noReason = await form('/console/inventory/A/adjust', { delta: '1', reason: '' });
    expect(decodeURIComponent(noReason.headers.get('location')!)).toContain('Give a reason');
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 15, reserved: 0 });
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
