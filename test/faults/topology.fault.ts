import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { reconcile } from '../support/cli.js';
import { type Haproxy, startHaproxy } from '../support/haproxy.js';
import { type Pgbouncer, startPgbouncer } from '../support/pgbouncer.js';
import { scratchDatabaseUrl } from '../support/scratch-database.js';
import { freePort, spawnService, type ServiceProcess } from '../support/service-process.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { checkExactness, deliverUntilAcknowledged, envelopeDelivery, inParallel, pathCounts, planWorkload, seedSkus, SOURCES_ENV } from './fault-support.js';

const SKUS = ['T1', 'T2', 'T3', 'T4'];
const ON_HAND = 100_000;
const INSTANCES = 3;
const TABLES = 'stock_movements, order_status_history, order_lines, orders, webhook_events, stock';

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  for (const until = Date.now() + timeoutMs; !(await check()); ) {
    if (Date.now() > until) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const answersOf = (seen: Map<number | string, number>) => [...seen.entries()].sort().map(([k, n]) => `${k}:${n}`).join(' ');

/**
 * The topology of docker-compose.yml, on real parts from Debian's packages:
 * PostgreSQL, PgBouncer in transaction pooling mode with its defaults, three
 * built instances (`node dist/src/main.js`) that reach the database only
 * through PgBouncer, and HAProxy in front of them, health-checking
 * GET /health. Senders deliver through HAProxy and retry as gateways do.
 */
describe('PgBouncer in transaction mode, three instances behind HAProxy', () => {
  let pgbouncer: Pgbouncer;
  let lb: Haproxy;
  let pooledUrl: string;
  let ports: number[];
  const instances: ServiceProcess[] = [];
  let direct: pg.Client;

  const spawnInstance = (port: number) =>
    spawnService({ PORT: String(port), ...SOURCES_ENV, DATABASE_URL: pooledUrl, DB_POOL_SIZE: '10', DB_CONNECT_TIMEOUT_MS: '1000' });
  const allUp = async () => Object.values(await lb.states()).every((s) => s === 'UP');

  beforeAll(async () => {
    pgbouncer = await startPgbouncer(scratchDatabaseUrl());
    pooledUrl = pgbouncer.rewrite(scratchDatabaseUrl());
    ports = await Promise.all(Array.from({ length: INSTANCES }, () => freePort()));
    // All at once on a new database: they migrate through PgBouncer, one of them at a time.
    instances.push(...(await Promise.all(ports.map(spawnInstance))));
    lb = await startHaproxy(ports);
    await waitFor('every instance in rotation', allUp);
    direct = new pg.Client({ connectionString: scratchDatabaseUrl() });
    await direct.connect();
  });
  afterAll(async () => {
    await direct?.end();
    for (const s of instances) {
      if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGTERM');
      await s.exited;
    }
    await lb?.close();
    await pgbouncer?.close();
  });
  beforeEach(async () => {
    await direct.query(`TRUNCATE ${TABLES} RESTART IDENTITY CASCADE`);
  });

  it('migrated once through PgBouncer while the three started together', async () => {
    const { rows } = await direct.query<{ n: number }>(`SELECT count(*)::int AS n FROM migrations GROUP BY name`);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.n === 1)).toBe(true);
    const applied = instances.filter((s) => s.output().includes('applied migrations:'));
    expect(applied).toHaveLength(1);
  });

  it('routes around an instance killed with -9 under load, and applies every acknowledged delivery once', async () => {
    await seedSkus(scratchDatabaseUrl(), SKUS, ON_HAND);
    const { plan, deliveries } = planWorkload(500, SKUS, 31, { native: true });
    const seen = new Map<number | string, number>();
    let acknowledged = 0;
    const sending = inParallel(deliveries, 24, async (delivery) => {
      const ack = await deliverUntilAcknowledged(() => lb.url, delivery, { seen });
      acknowledged += 1;
      return ack;
    });

    await waitFor('a quarter acknowledged', () => acknowledged >= deliveries.length / 4, 60_000);
    const victim = instances[0];
    victim.child.kill('SIGKILL');
    await victim.exited;
    await waitFor('the killed instance out of rotation', async () => (await lb.states()).s1 === 'DOWN');
    const atDown = acknowledged;
    const acks = await sending;

    console.log(
      `topology kill -9: ${deliveries.length} events (orders: ${pathCounts(plan)}); ${atDown} acknowledged when s1 went DOWN; answers seen ${answersOf(seen)}`,
    );
    expect(atDown).toBeLessThan(deliveries.length);
    expect(acks.every((a) => a.status === 200)).toBe(true);
    // The other two took the rest: everything acknowledged was applied, once.
    const result = await checkExactness(scratchDatabaseUrl(), plan, ON_HAND);
    expect(result).toEqual({ events: deliveries.length, failedOrDeferred: 0, wrongStatus: [], stock: [], ledgerMismatches: 0, movementsTwice: 0 });

    // Started again on its port, it is back in rotation.
    instances[0] = await spawnInstance(ports[0]);
    await waitFor('the restarted instance back in rotation', allUp);
  });

  it('answers 503 while PgBouncer restarts, then recovers without restarting an instance', async () => {
    await seedSkus(scratchDatabaseUrl(), SKUS, ON_HAND);
    const { plan, deliveries } = planWorkload(400, SKUS, 37, { native: true });
    const pids = instances.map((s) => s.child.pid);
    const seen = new Map<number | string, number>();
    let unavailable = 0;
    let acknowledged = 0;
    const sending = inParallel(deliveries, 24, async (delivery) => {
      const ack = await deliverUntilAcknowledged(() => lb.url, delivery, {
        seen,
        onAnswer: (status, body) => {
          // The service's own answer (HAProxy's 503, once every instance reports the database down, is HTML).
          if (status === 503 && body.includes('"database_unavailable"')) unavailable += 1;
        },
      });
      acknowledged += 1;
      return ack;
    });

    await waitFor('a quarter acknowledged', () => acknowledged >= deliveries.length / 4, 60_000);
    // What `systemctl restart pgbouncer` does: SIGTERM (1.18: immediate shutdown, every connection closed), then start.
    await pgbouncer.stop();
    const atStop = acknowledged;
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await pgbouncer.start();
    const acks = await sending;

    console.log(
      `topology PgBouncer restart: ${deliveries.length} events; ${atStop} acknowledged at the stop, ${unavailable} answered 503 database_unavailable; answers seen ${answersOf(seen)}`,
    );
    expect(atStop).toBeLessThan(deliveries.length);
    expect(unavailable).toBeGreaterThan(0);
    // 200s and 503s only: no 500, nothing that hung until HAProxy's timeout (504), no instance that crashed (502).
    expect([...seen.keys()].filter((k) => k !== 200 && k !== 503)).toEqual([]);
    expect(acks.every((a) => a.status === 200)).toBe(true);
    const result = await checkExactness(scratchDatabaseUrl(), plan, ON_HAND);
    expect(result).toEqual({ events: deliveries.length, failedOrDeferred: 0, wrongStatus: [], stock: [], ledgerMismatches: 0, movementsTwice: 0 });
    // The same processes, each healthy again by itself.
    expect(instances.map((s) => s.child.pid)).toEqual(pids);
    expect(instances.every((s) => s.child.exitCode === null)).toBe(true);
    const health = await Promise.all(instances.map(async (s) => (await fetch(`${s.url}/health`)).status));
    expect(health).toEqual(Array(INSTANCES).fill(200));
    await waitFor('every instance back in rotation', allUp);
  });

  it('sells the last 40 units once when 400 orders race for them across the instances, and the ledger reconciles', async () => {
    await seedSkus(scratchDatabaseUrl(), ['LAST'], 40);
    const deliveries = Array.from({ length: 400 }, (_, i) =>
      envelopeDelivery(
        `race-${i}`,
        JSON.stringify({ id: `race-${i}`, event: 'new_order', data: { order_id: `race-${i}`, customer_name: 'R', total_amount: 1, items: [{ sku: 'LAST', quantity: 1 + (i % 2) }] } }),
      ),
    );
    const acks = await inParallel(deliveries, 32, (delivery) => deliverUntilAcknowledged(() => lb.url, delivery));
    expect(acks.every((a) => a.status === 200)).toBe(true);

    const { rows: [stock] } = await direct.query(`SELECT on_hand, reserved FROM stock WHERE sku = 'LAST'`);
    expect(stock).toEqual({ on_hand: 40, reserved: 40 });
    const { rows: [held] } = await direct.query<{ units: number }>(
      `SELECT coalesce(sum(l.quantity), 0)::int AS units FROM order_lines l JOIN orders o USING (order_id) WHERE o.status = 'pending'`,
    );
    expect(held.units).toBe(40);
    const { rows: [events] } = await direct.query<{ n: number }>(`SELECT count(*)::int AS n FROM webhook_events WHERE status = 'processed'`);
    expect(events.n).toBe(400);
    // The reconcile CLI, through PgBouncer too.
    expect(await reconcile(pooledUrl)).toEqual({ code: 0, stdout: 'ledger matches the counters of all 1 SKUs\n' });
  });
});

describe('PostgreSQL unreachable behind a PgBouncer that runs on', () => {
  let proxy: TcpProxy;
  let pgbouncer: Pgbouncer;
  let service: ServiceProcess;

  beforeAll(async () => {
    // PgBouncer reaches PostgreSQL through a relay the test stalls: the server hangs, the pooler stays.
    proxy = TcpProxy.forUrl(scratchDatabaseUrl());
    await proxy.start();
    pgbouncer = await startPgbouncer(proxy.rewrite(scratchDatabaseUrl()));
    service = await spawnService({ ...SOURCES_ENV, DATABASE_URL: pgbouncer.rewrite(scratchDatabaseUrl()), DB_CONNECT_TIMEOUT_MS: '1000' });
  });
  afterAll(async () => {
    service?.child.kill('SIGTERM');
    await service?.exited;
    await pgbouncer?.close();
    await proxy?.stop();
  });

  const order = (id: string) =>
    envelopeDelivery(id, JSON.stringify({ id, event: 'new_order', data: { order_id: id, customer_name: 'R', total_amount: 1, items: [] } }));
  const post = async (delivery: ReturnType<typeof order>) => {
    const started = Date.now();
    const response = await fetch(`${service.url}${delivery.path}`, { method: 'POST', headers: delivery.headers(), body: delivery.body });
    return { status: response.status, body: await response.text(), ms: Date.now() - started };
  };
  const health = async () => (await fetch(`${service.url}/health`)).status;

  it('answers 503 within seconds rather than waiting out query_wait_timeout (120 s), and recovers by itself', async () => {
    expect((await post(order('before'))).status).toBe(200);
    proxy.stall();

    // A load balancer's checks every moment, and deliveries on every pooled connection and more.
    const checks = await Promise.all(Array.from({ length: 10 }, () => health()));
    expect(checks).toEqual(Array(10).fill(503));
    const during = await Promise.all(Array.from({ length: 30 }, (_, i) => post(order(`during-${i}`))));
    console.log(`PostgreSQL away behind PgBouncer: answers ${[...new Set(during.map((a) => a.status))].join(', ')} in at most ${Math.max(...during.map((a) => a.ms))} ms`);
    expect(during.map((a) => a.status)).toEqual(Array(30).fill(503));
    expect(during.every((a) => a.body.includes('"database_unavailable"'))).toBe(true);
    // DB_CONNECT_TIMEOUT_MS (1 s) for a connection, again for the transaction to start: well inside a gateway's 5 s.
    expect(Math.max(...during.map((a) => a.ms))).toBeLessThan(4_000);

    await proxy.restore();
    await waitFor('healthy again', async () => (await health()) === 200, 60_000);
    const after = await Promise.all(Array.from({ length: 30 }, (_, i) => post(order(`during-${i}`))));
    expect(after.map((a) => a.status)).toEqual(Array(30).fill(200));
    expect(after.every((a) => a.body.includes('"processed"'))).toBe(true);
  });
});
