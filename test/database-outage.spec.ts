import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { count, resetDatabase, seedStock, stockOf } from './support/database.js';
import { holdStockRows } from './support/held-rows.js';
import { scratchDatabaseUrl } from './support/scratch-database.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { type Answer, deliver, newOrderEvent, startTestApp, type TestApp } from './support/test-app.js';

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('database outage', () => {
  let t: TestApp;
  let proxy: TcpProxy;
  /** A direct connection, past the proxy, to look at what was written. */
  let direct: pg.Client;

  beforeAll(async () => {
    proxy = TcpProxy.forUrl(scratchDatabaseUrl());
    await proxy.start();
    t = await startTestApp({ DATABASE_URL: proxy.rewrite(scratchDatabaseUrl()), DB_CONNECT_TIMEOUT_MS: '1000' });
    direct = new pg.Client({ connectionString: scratchDatabaseUrl() });
    await direct.connect();
  });
  afterAll(async () => {
    await direct.end();
    await t.close();
    await proxy.stop();
  });
  beforeEach(async () => {
    await resetDatabase(t.db);
    await seedStock(t.db, { S: 5 });
  });

  const health = async () => (await fetch(`${t.url}/health`)).status;

  it('answers 503 with retry-after while the database is unreachable, then recovers by itself', async () => {
    await proxy.cut();
    const during = await deliver(t.url, newOrderEvent({ id: 'out-1', orderId: 'out-1', items: [{ sku: 'S', quantity: 1 }] }));
    expect(during.status).toBe(503);
    expect(during.body).toMatchObject({ error: 'database_unavailable' });
    expect(during.headers.get('retry-after')).toBe('5');
    expect(await health()).toBe(503);
    // Metrics still answer, counting the refusal, without the figures only the database knows.
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/^shelfsync_webhook_deliveries_total\{source="default",event_type="new_order",outcome="unavailable"\} 1$/m);
    expect(metrics).toMatch(/^shelfsync_deferred_events nan$/im);

    await proxy.restore();
    await waitFor(async () => (await health()) === 200);
    // The sender's retry is applied, not taken for a duplicate: the refused attempt left nothing behind.
    const retry = await deliver(t.url, newOrderEvent({ id: 'out-1', orderId: 'out-1', items: [{ sku: 'S', quantity: 1 }] }));
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ status: 'processed', order_status: 'pending' });
  });

  it('leaves nothing half-written when the connection drops in the middle of a delivery', async () => {
    // Hold the SKU's row so the delivery stops half-way, after its event and order rows are written.
    const held = await holdStockRows(['S']);
    let answer: Answer;
    try {
      const pending = deliver(t.url, newOrderEvent({ id: 'mid-1', orderId: 'mid-1', items: [{ sku: 'S', quantity: 2 }] }));
      await held.waitForWaiters(1);
      await proxy.cut();
      answer = await pending;
    } finally {
      await held.release();
    }
    expect(answer.status).toBe(503);

    // Once the aborted backend has gone, none of its writes are visible.
    await waitFor(async () => {
      const { rows } = await direct.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'shelfsync' AND state = 'active' AND pid <> pg_backend_pid()`,
      );
      return rows[0].n === 0;
    });
    const { rows: events } = await direct.query(`SELECT count(*)::int AS n FROM webhook_events`);
    const { rows: orders } = await direct.query(`SELECT count(*)::int AS n FROM orders`);
    const { rows: stock } = await direct.query(`SELECT reserved FROM stock WHERE sku = 'S'`);
    expect([events[0].n, orders[0].n, stock[0].reserved]).toEqual([0, 0, 0]);

    await proxy.restore();
    await waitFor(async () => (await health()) === 200);
    const retry = await deliver(t.url, newOrderEvent({ id: 'mid-1', orderId: 'mid-1', items: [{ sku: 'S', quantity: 2 }] }));
    expect(retry.body).toMatchObject({ status: 'processed', order_status: 'pending' });
    expect(await stockOf(t.db, 'S')).toEqual({ on_hand: 5, reserved: 2 });
    expect(await count(t.db, 'webhook_events')).toBe(1);
  });
});

describe('an exhausted pool and a lock held too long', () => {
  let t: TestApp;
  let direct: pg.Client;

  beforeAll(async () => {
    t = await startTestApp({ DB_POOL_SIZE: '2', DB_CONNECT_TIMEOUT_MS: '500' });
    direct = new pg.Client({ connectionString: scratchDatabaseUrl() });
    await direct.connect();
  });
  afterAll(async () => {
    await direct.end();
    await t.close();
  });

  it('answers 503 within seconds, never hanging, and serves again once the lock is gone', async () => {
    await resetDatabase(t.db);
    await seedStock(t.db, { S: 5 });
    await direct.query('BEGIN');
    await direct.query(`SELECT * FROM stock WHERE sku = 'S' FOR UPDATE`);
    const started = Date.now();
    // Two deliveries wait on the lock and hold both connections; the third finds no connection.
    const blocked = [1, 2].map((i) => deliver(t.url, newOrderEvent({ id: `b${i}`, orderId: `b${i}`, items: [{ sku: 'S', quantity: 1 }] })));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const starved = await deliver(t.url, newOrderEvent({ id: 'b3', orderId: 'b3' }));
    expect(starved.status).toBe(503);
    // The lock timeout (5 s) turns the waiting ones into 503s too, well within 10 s.
    const answers = await Promise.all(blocked);
    expect(answers.map((a) => a.status)).toEqual([503, 503]);
    expect(Date.now() - started).toBeLessThan(10_000);
    await direct.query('COMMIT');
    const after = await deliver(t.url, newOrderEvent({ id: 'b1', orderId: 'b1', items: [{ sku: 'S', quantity: 1 }] }));
    expect(after.body).toMatchObject({ status: 'processed', order_status: 'pending' });
  });
});

describe('a connection the server ends', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('never ends the process, even with an error event no one waits for', async () => {
    // A terminated backend can emit 'error' on a client after TypeORM's own listener has gone;
    // an 'error' event without a listener would throw, and end the service.
    const pool = (t.db.driver as unknown as { master: pg.Pool }).master;
    const client = await pool.connect();
    try {
      expect(client.listenerCount('error')).toBeGreaterThan(0);
      expect(() => client.emit('error', new Error('terminating connection due to administrator command'))).not.toThrow();
    } finally {
      client.release(true);
    }
    const res = await deliver(t.url, newOrderEvent({ id: 'after', orderId: 'after' }));
    expect(res.status).toBe(200);
  });
});
