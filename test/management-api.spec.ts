import { beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { ledgerMismatches, resetDatabase, stockOf } from './support/database.js';
import { pageThrough, seedLists } from './support/paging.js';
import { admin, ADMIN_TOKEN, deliver, newOrderEvent, useTestApp } from './support/test-app.js';

describe('management API', () => {
  const t = useTestApp();
  beforeEach(() => resetDatabase(t.db));

  describe('authentication', () => {
    it.each([
      ['no Authorization header', null],
      ['a wrong token', 'wrong-token'],
      ['a token that only starts like the right one', `${ADMIN_TOKEN}x`],
    ])('answers 401 with %s', async (_name, token) => {
      for (const [method, path, body] of [
        ['GET', '/inventory/SKU-1', undefined],
        ['PUT', '/inventory/SKU-1', { on_hand: 5 }],
        ['GET', '/orders/1', undefined],
      ] as const) {
        const res = await admin(t.url, method, path, body, token);
        expect(res.status).toBe(401);
        expect(res.body.error).toBe('unauthorized');
      }
      expect(await stockOf(t.db, 'SKU-1')).toBeUndefined();
    });

    it('keeps /health open', async () => {
      const res = await fetch(`${t.url}/health`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'ok' });
    });
  });

  describe('PUT and GET /inventory/:sku', () => {
    it('creates a SKU, reads it back and writes the change to the ledger', async () => {
      const put = await admin(t.url, 'PUT', '/inventory/SKU-1', { on_hand: 12 });
      expect(put.status).toBe(200);
      expect(put.body).toMatchObject({ sku: 'SKU-1', on_hand: 12, reserved: 0, available: 12 });
      const get = await admin(t.url, 'GET', '/inventory/SKU-1');
      expect(get.status).toBe(200);
      expect(get.body).toEqual({ sku: 'SKU-1', on_hand: 12, reserved: 0, available: 12, updated_at: expect.any(String) });
      await admin(t.url, 'PUT', '/inventory/SKU-1', { on_hand: 7 });
      const ledger = await t.db.query(`SELECT kind, on_hand_delta FROM stock_movements WHERE sku = 'SKU-1' ORDER BY id`);
      expect(ledger).toEqual([
        { kind: 'adjust', on_hand_delta: 12 },
        { kind: 'adjust', on_hand_delta: -5 },
      ]);
      expect(await ledgerMismatches(t.db)).toEqual([]);
    });

    it('answers 404 for an unknown SKU', async () => {
      const res = await admin(t.url, 'GET', '/inventory/NOPE');
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ error: 'not_found' });
    });

    it('answers 409 when the count would fall below what is reserved, and changes nothing', async () => {
      await admin(t.url, 'PUT', '/inventory/SKU-1', { on_hand: 5 });
      await deliver(t.url, newOrderEvent({ orderId: 'o-1', items: [{ sku: 'SKU-1', quantity: 4 }] }));
      const res = await admin(t.url, 'PUT', '/inventory/SKU-1', { on_hand: 3 });
      expect(res.status).toBe(409);
      expect(res.body.message).toMatch(/reserved/);
      expect(await stockOf(t.db, 'SKU-1')).toEqual({ on_hand: 5, reserved: 4 });
      const ok = await admin(t.url, 'PUT', '/inventory/SKU-1', { on_hand: 4 });
      expect(ok.body).toMatchObject({ on_hand: 4, reserved: 4, available: 0 });
    });

    it.each([
      [{ on_hand: -1 }, 'on_hand'],
      [{ on_hand: 'ten' }, 'on_hand'],
      [{ on_hand: 1.5 }, 'on_hand'],
      [{}, 'on_hand'],
      [{ on_hand: 1, extra: true }, 'extra'],
    ])('answers 400 for %j, naming %s', async (body, field) => {
      const res = await admin(t.url, 'PUT', '/inventory/SKU-1', body);
      expect(res.status).toBe(400);
      expect((res.body.errors as { field: string }[]).map((e) => e.field)).toContain(field);
      expect(await stockOf(t.db, 'SKU-1')).toBeUndefined();
    });

    it('answers 400 for malformed JSON', async () => {
      const res = await fetch(`${t.url}/inventory/SKU-1`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: '{"on_hand": ',
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'invalid_payload' });
    });

    it('answers 400 for a SKU longer than 100 characters', async () => {
      const res = await admin(t.url, 'PUT', `/inventory/${'X'.repeat(101)}`, { on_hand: 1 });
      expect(res.status).toBe(400);
      expect((res.body.errors as { field: string }[])[0].field).toBe('sku');
    });

    it('handles SKUs with URL-encoded characters', async () => {
      const put = await admin(t.url, 'PUT', `/inventory/${encodeURIComponent('TEE/RED L')}`, { on_hand: 2 });
      expect(put.body).toMatchObject({ sku: 'TEE/RED L', on_hand: 2 });
    });
  });

  describe('GET /orders/:order_id', () => {
    it('shows the order with its items and history', async () => {
      await admin(t.url, 'PUT', '/inventory/SKU-1', { on_hand: 5 });
      await deliver(
        t.url,
        JSON.stringify({
          event: 'new_order',
          data: {
            order_id: 42,
            customer_name: 'Ada',
            customer_email: 'ada@example.com',
            total_amount: 99.5,
            currency: 'eur',
            items: [{ sku: 'SKU-1', quantity: 2, unit_price: 49.75 }],
          },
        }),
      );
      const res = await admin(t.url, 'GET', '/orders/42');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        order_id: '42',
        status: 'pending',
        needs_attention: false,
        customer_name: 'Ada',
        customer_email: 'ada@example.com',
        total_amount: 99.5,
        currency: 'EUR',
        items: [{ sku: 'SKU-1', quantity: 2, unit_price: 49.75 }],
        history: [{ from_status: null, to_status: 'pending', reason: null, at: expect.any(String) }],
      });
    });

    it('answers 400 for an order id a database cannot hold', async () => {
      const res = await admin(t.url, 'GET', '/orders/a%00b');
      expect(res.status).toBe(400);
      expect((res.body.errors as { field: string }[])[0].field).toBe('order_id');
    });

    it('answers 404 for an unknown order', async () => {
      const res = await admin(t.url, 'GET', '/orders/nope');
      expect(res.status).toBe(404);
      expect(res.body.message).toContain('nope');
    });
  });
});

describe('every list of the management API, a page at a time', () => {
  const t = useTestApp();
  const N = 43;
  const numbers = Array.from({ length: N }, (_, i) => N - i);
  let endpoints: string[];
  beforeAll(async () => {
    await resetDatabase(t.db);
    endpoints = await seedLists(t.db, N);
  });

  // Each list's rows in the order it promises: ids 43 down to 1 cross a digit boundary, where text order and number order part.
  it.each([
    ['/inventory', 'sku', () => numbers.map((g) => `SKU-${g}`).sort()],
    ['/orders', 'order_id', () => numbers.map((g) => `order-${g}`)],
    ['/webhook-events', 'id', () => numbers.map(String)],
    ['/notification-endpoints', 'id', () => [...endpoints].reverse()],
    ['/notifications', 'id', () => numbers.map(String)],
  ])('GET %s reaches every row exactly once, in its order, 5 at a time', async (path, key, expected) => {
    const { keys, pages } = await pageThrough(async (cursor) => {
      const res = await admin(t.url, 'GET', `${path}?limit=5${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      const items = res.body.items as Record<string, unknown>[];
      expect(items.length).toBeLessThanOrEqual(5);
      return { keys: items.map((item) => String(item[key])), cursor: res.body.next_cursor as string | null };
    });
    expect(keys).toEqual(expected());
    expect(pages).toBe(9);
  });
});

describe('management API without ADMIN_TOKEN', () => {
  const t = useTestApp({ ADMIN_TOKEN: undefined });

  it('answers 401 to every caller and says why', async () => {
    const res = await admin(t.url, 'GET', '/inventory/SKU-1', undefined, 'anything');
    expect(res.status).toBe(401);
    expect(res.body.message).toMatch(/ADMIN_TOKEN is not set/);
  });
});
