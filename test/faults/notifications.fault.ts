import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { newSecret, NotificationReceiver, type Reply } from '../support/notification-receiver.js';
import { scratchDatabaseUrl } from '../support/scratch-database.js';
import { spawnService, type ServiceProcess } from '../support/service-process.js';
import { inParallel, SECRET, signedHeaders } from './fault-support.js';

const TABLES = 'notifications, notification_endpoints, stock_movements, order_status_history, order_lines, orders, webhook_events, stock';
const ENV = {
  WEBHOOK_SECRET: SECRET,
  DB_POOL_SIZE: '8',
  NOTIFY_ALLOW_PRIVATE_NETWORKS: 'true',
  NOTIFY_RETRY_SCHEDULE: '200ms,200ms,200ms,200ms,200ms',
  NOTIFY_TIMEOUT: '2s',
};

async function sql<T extends pg.QueryResultRow>(query: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: scratchDatabaseUrl() });
  await client.connect();
  try {
    return (await client.query<T>(query, params)).rows;
  } finally {
    await client.end();
  }
}

async function newOrder(url: string, orderId: string): Promise<number> {
  const body = JSON.stringify({ id: `evt-${orderId}`, event: 'new_order', data: { order_id: orderId, customer_name: 'R', total_amount: 1, items: [] } });
  const response = await fetch(`${url}/webhooks`, { method: 'POST', headers: signedHeaders(body), body });
  await response.arrayBuffer();
  return response.status;
}

async function until(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`not reached in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const receiver = new NotificationReceiver();
let secret: string;
beforeAll(() => receiver.start());
afterAll(() => receiver.close());
/** Empties the tables and registers the receiver; called once a service has migrated the scratch database. */
async function prepare(): Promise<void> {
  await sql(`TRUNCATE ${TABLES} RESTART IDENTITY CASCADE`);
  secret = newSecret();
  receiver.reset([secret]);
  await sql(`INSERT INTO notification_endpoints (url, secret) VALUES ($1, $2)`, [receiver.url, secret]);
}

describe('notifications from three instances', () => {
  const instances: ServiceProcess[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 3; i++) instances.push(await spawnService({ ...ENV, DATABASE_URL: scratchDatabaseUrl() }));
  });
  afterAll(async () => {
    for (const s of instances) {
      s.child.kill('SIGTERM');
      await s.exited;
    }
  });

  it('delivers every message, none by two instances at the same time', async () => {
    await prepare();
    // slow answers (so overlapping sends would show) and a 503 for the first attempt of every fifth message
    let n = 0;
    const first = new Map<string, number>();
    receiver.reply = (r, nth) => {
      if (!first.has(r.messageId)) first.set(r.messageId, n++);
      return nth === 1 && first.get(r.messageId)! % 5 === 0 ? { status: 503, delayMs: 30 } : { status: 204, delayMs: 60 };
    };
    const ids = Array.from({ length: 150 }, (_, i) => `o-${i}`);
    const statuses = await inParallel(ids, 12, (id) => newOrder(instances[Math.floor(Math.random() * 3)].url, id));
    expect(statuses.every((s) => s === 200)).toBe(true);
    await until(async () => (await sql(`SELECT 1 FROM notifications WHERE status <> 'delivered' LIMIT 1`)).length === 0, 60_000);

    const rows = await sql<{ message_id: string; attempts: number }>(`SELECT message_id, attempts FROM notifications`);
    expect(rows).toHaveLength(150);
    expect(receiver.unverified).toEqual([]);
    expect(receiver.overlaps).toBe(0);
    expect(new Set(receiver.received.map((r) => r.messageId))).toEqual(new Set(rows.map((r) => r.message_id)));
    // one attempt per message, two for those answered 503 first: no message sent twice over
    for (const row of rows) expect(receiver.of(row.message_id)).toHaveLength(row.attempts);
    expect(rows.filter((r) => r.attempts === 2)).toHaveLength(30);
  }, 120_000);
});

describe('a sender killed with -9 after sending, before recording', () => {
  const services: ServiceProcess[] = [];
  afterEach(async () => {
    for (const s of services.splice(0)) {
      if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
      await s.exited;
    }
  });

  it('sends the message once more after the lease runs out, with the same webhook-id', async () => {
    const killed: { victim?: ServiceProcess } = {};
    const reply = (_r: unknown, nth: number): Reply => {
      if (nth === 1) {
        // the attempt has reached the storefront; the instance dies before it hears back or records anything
        killed.victim?.child.kill('SIGKILL');
        return 'hang';
      }
      return { status: 204 };
    };
    const victim = await spawnService({ ...ENV, DATABASE_URL: scratchDatabaseUrl() });
    services.push(victim);
    await prepare();
    // prepare() resets the receiver, so its reply is set after
    receiver.reply = reply;
    killed.victim = victim;
    expect(await newOrder(victim.url, 'o-kill')).toBe(200);
    await victim.exited;
    const [leased] = await sql<{ status: string; attempts: number }>(`SELECT status::text AS status, attempts FROM notifications`);
    expect(leased).toEqual({ status: 'pending', attempts: 1 });

    const restarted = await spawnService({ ...ENV, DATABASE_URL: scratchDatabaseUrl() });
    services.push(restarted);
    // the lease: NOTIFY_TIMEOUT (2 s) and 5 s
    await until(async () => (await sql(`SELECT 1 FROM notifications WHERE status = 'delivered'`)).length === 1, 20_000);
    const [row] = await sql<{ message_id: string; attempts: number }>(`SELECT message_id, attempts FROM notifications`);
    expect(row.attempts).toBe(2);
    const attempts = receiver.of(row.message_id);
    expect(attempts).toHaveLength(2);
    expect(attempts[1].at - attempts[0].at).toBeGreaterThanOrEqual(6_000);
    expect(attempts.every((a) => a.raw === attempts[0].raw)).toBe(true);
  }, 60_000);
});
