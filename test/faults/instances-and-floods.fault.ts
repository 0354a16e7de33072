import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { scratchDatabaseUrl } from '../support/scratch-database.js';
import { spawnService, type ServiceProcess } from '../support/service-process.js';
import { checkExactness, exact, inParallel, planWorkload, SECRET, seedSkus, signedHeaders, SOURCES_ENV } from './fault-support.js';

const TABLES = 'stock_movements, order_status_history, order_lines, orders, webhook_events, stock';

async function sql<T extends pg.QueryResultRow>(query: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: scratchDatabaseUrl() });
  await client.connect();
  try {
    return (await client.query<T>(query)).rows;
  } finally {
    await client.end();
  }
}

async function post(url: string, body: string | Buffer, headers?: Record<string, string>, path = '/webhooks'): Promise<number> {
  const response = await fetch(`${url}${path}`, { method: 'POST', headers: headers ?? signedHeaders(body), body });
  await response.arrayBuffer();
  return response.status;
}

describe('three instances sharing one database', () => {
  const instances: ServiceProcess[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) {
      instances.push(await spawnService({ ...SOURCES_ENV, DATABASE_URL: scratchDatabaseUrl(), DB_POOL_SIZE: '8' }));
    }
  });
  afterAll(async () => {
    for (const s of instances) {
      s.child.kill('SIGTERM');
      await s.exited;
    }
  });
  beforeEach(async () => {
    await sql(`TRUNCATE ${TABLES} RESTART IDENTITY CASCADE`);
  });

  it('sells the last 50 units once when 300 orders race for them across the instances', async () => {
    await seedSkus(scratchDatabaseUrl(), ['LAST'], 50);
    const bodies = Array.from({ length: 300 }, (_, i) =>
      JSON.stringify({ id: `race-${i}`, event: 'new_order', data: { order_id: `race-${i}`, customer_name: 'R', total_amount: 1, items: [{ sku: 'LAST', quantity: 1 }] } }),
    );
    const statuses = await inParallel(bodies, 24, (body) => post(instances[Math.floor(Math.random() * 3)].url, body));
    expect(statuses.every((s) => s === 200)).toBe(true);
    const [stock] = await sql<{ on_hand: number; reserved: number }>(`SELECT on_hand, reserved FROM stock WHERE sku = 'LAST'`);
    expect(stock).toEqual({ on_hand: 50, reserved: 50 });
    const [{ pending }] = await sql<{ pending: number }>(`SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending FROM orders`);
    expect(pending).toBe(50);
  });

  it('applies each event once when every delivery goes to two instances at the same moment', async () => {
    const skus = ['M1', 'M2', 'M3'];
    await seedSkus(scratchDatabaseUrl(), skus, 100_000);
    const { plan, deliveries } = planWorkload(300, skus, 23, { native: true });
    const answers = await inParallel(deliveries, 12, async ({ path, body, headers }) => {
      const first = Math.floor(Math.random() * 3);
      return Promise.all([post(instances[first].url, body, headers(), path), post(instances[(first + 1) % 3].url, body, headers(), path)]);
    });
    expect(answers.flat().every((s) => s === 200)).toBe(true);
    const result = await checkExactness(scratchDatabaseUrl(), plan, 100_000);
    expect(result).toEqual(exact(deliveries.length));
  });
});

describe('a flood of signed but malformed deliveries', () => {
  let service: ServiceProcess;
  beforeAll(async () => {
    service = await spawnService({ WEBHOOK_SECRET: SECRET, DATABASE_URL: scratchDatabaseUrl() });
    await sql(`TRUNCATE ${TABLES} RESTART IDENTITY CASCADE`);
  });
  afterAll(async () => {
    service.child.kill('SIGTERM');
    await service.exited;
  });

  const order = (data: Record<string, unknown>) =>
    JSON.stringify({ event: 'new_order', data: { order_id: 'x', customer_name: 'A', total_amount: 1, ...data } });

  const malformed: string[] = [
    '{"event": "new_order", "data": {"order_id": 1',
    '{"event": "new_order", "data": {"order_id": 1, "customer_name": "A", "total_amount": 1}',
    '',
    'null',
    '[]',
    '"just a string"',
    '{"event": "new_order"}',
    '{"event": ["new_order"], "data": {}}',
    order({ total_amount: '100' }),
    '{"event":"new_order","data":{"order_id":"x","customer_name":"A","total_amount":1e309}}',
    order({ total_amount: -0.5 }),
    '{"event":"new_order","data":{"order_id":"x","customer_name":"A","total_amount":12345678901234567890123}}',
    order({ order_id: 1e21 }),
    order({ order_id: -1 }),
    order({ order_id: { $gt: '' } }),
    order({ items: [{ sku: 'A', quantity: 1e10 }] }),
    order({ items: [{ sku: 'A', quantity: 2 ** 53 + 1 }] }),
    order({ items: [{ sku: 'A', quantity: '1; DROP TABLE stock' }] }),
    order({ order_id: "1'; DROP TABLE orders; --", items: [{ sku: 'A', quantity: 0 }] }),
    order({ customer_name: 'Robert\u0000Tables' }),
    order({ customer_name: '😀'.repeat(150) }),
    order({ items: [{ sku: '🛒'.repeat(60), quantity: -1 }] }),
    order({ currency: '€€€' }),
    order({ items: Array.from({ length: 501 }, () => ({ sku: 'A', quantity: 1 })) }),
    '{"event":"new_order","data":{"__proto__":{"order_id":"p","customer_name":"A","total_amount":1}}}',
    '{"event":"new_order","constructor":{"prototype":{"x":1}},"data":{"constructor":1}}',
    `{"event":"new_order","data":{"order_id":"d","x":${'['.repeat(100)}${']'.repeat(100)}}}`,
    JSON.stringify({ event: 'payment_succeeded', data: { order_id: 'x', amount: 'all of it' } }),
    JSON.stringify({ event: 'order_refunded', data: { order_id: null, restock: 'yes' } }),
    JSON.stringify({ event: 'order_cancelled', data: { order_id: 'x', reason: 42 } }),
  ];

  it('answers only 4xx, many times over and concurrently, changes nothing, and stays healthy', async () => {
    const bodies = Array.from({ length: 20 }, () => malformed).flat();
    const statuses = await inParallel(bodies, 16, (body) => post(service.url, body));
    const binary = await Promise.all(
      [Buffer.from([0xff, 0xfe, 0x00, 0x7b]), Buffer.from('{"event":"new_order","data":{"customer_name":"\xff"}}', 'latin1')].map((raw) =>
        post(service.url, raw, signedHeaders(raw)),
      ),
    );
    const all = [...statuses, ...binary];
    const counts = all.reduce<Record<number, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {});
    console.log(`malformed flood: ${all.length} deliveries, answers ${JSON.stringify(counts)}`);
    expect(all.filter((s) => s < 400 || s >= 500)).toEqual([]);
    const [{ n }] = await sql<{ n: number }>(
      `SELECT (SELECT count(*) FROM webhook_events) + (SELECT count(*) FROM orders) + (SELECT count(*) FROM stock)::int AS n`,
    );
    expect(Number(n)).toBe(0);
    expect((await fetch(`${service.url}/health`)).status).toBe(200);
    const fine = JSON.stringify({ event: 'new_order', data: { order_id: 'after', customer_name: 'A', total_amount: 1 } });
    expect(await post(service.url, fine)).toBe(200);
  });
});
