import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { reconcile } from '../support/cli.js';
import { holdStockRows } from '../support/held-rows.js';
import { type Haproxy, startHaproxy } from '../support/haproxy.js';
import { debianProgram, type Pgbouncer, startPgbouncer } from '../support/pgbouncer.js';
import { scratchDatabaseUrl } from '../support/scratch-database.js';
import { freePort, spawnService, type ServiceProcess } from '../support/service-process.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { checkExactness, exact, deliverUntilAcknowledged, envelopeDelivery, inParallel, pathCounts, planWorkload, seedSkus, SOURCES_ENV } from './fault-support.js';

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
    // Clients log in to PgBouncer with SCRAM, as in docker-compose.yml.
    pgbouncer = await startPgbouncer(scratchDatabaseUrl(), { clientPassword: 'topology-secret' });
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

  it('runs HAProxy as docker/haproxy.cfg configures it for docker compose (checked by haproxy -c)', () => {
    const checked = execFileSync(debianProgram('haproxy'), ['-c', '-f', 'docker/haproxy.cfg'], { encoding: 'utf8' });
    expect(checked).toContain('Configuration file is valid');
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
    const seenAtDown = new Map(seen);
    const acks = await sending;
    // Once HAProxy had it out of rotation, every answer was a 200: nothing more was sent to the dead one.
    const afterDown = [...seen].filter(([k, n]) => k !== 200 && n > (seenAtDown.get(k) ?? 0));

    console.log(
      `topology kill -9: ${deliveries.length} events (orders: ${pathCounts(plan)}); ${atDown} acknowledged when s1 went DOWN; answers seen ${answersOf(seen)}`,
    );
    expect(atDown).toBeLessThan(deliveries.length);
    expect(afterDown).toEqual([]);
    expect(acks.every((a) => a.status === 200)).toBe(true);
    // The other two took the rest: everything acknowledged was applied, once.
    const result = await checkExactness(scratchDatabaseUrl(), plan, ON_HAND);
    expect(result).toEqual(exact(deliveries.length));

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
    // An immediate shutdown (every connection closed: SIGTERM before 1.23, SIGQUIT since), then a start.
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
    expect(result).toEqual(exact(deliveries.length));
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
      `SELECT coalesce(sum(l.quantity), 0)::int AS units FROM order_lines l JOIN orders o ON o.source = l.order_source AND o.order_id = l.order_id WHERE o.status = 'pending'`,
    );
    expect(held.units).toBe(40);
    const { rows: [events] } = await direct.query<{ n: number }>(`SELECT count(*)::int AS n FROM webhook_events WHERE status = 'processed'`);
    expect(events.n).toBe(400);
    // The reconcile CLI, through PgBouncer too.
    expect(await reconcile(pooledUrl)).toEqual({ code: 0, stdout: 'ledger matches the counters of all 1 SKUs and 400 order lines\n' });
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
    // DB_CONNECT_TIMEOUT_MS at its default (5 s, past the health check's 2 s), and a pool small enough to run out.
    service = await spawnService({ ...SOURCES_ENV, DATABASE_URL: pgbouncer.rewrite(scratchDatabaseUrl()), DB_POOL_SIZE: '4' });
  });
  afterAll(async () => {
    service?.child.kill('SIGTERM');
    await service?.exited;
    await pgbouncer?.close();
    await proxy?.stop();
  });

  const order = (id: string) =>
    envelopeDelivery(id, JSON.stringify({ id, event: 'new_order', data: { order_id: id, customer_name: 'R', total_amount: 1, items: [] } }));
  // Each in a transaction of its own (no group commit): thirty of them want more connections than the pool has.
  const payment = (id: string) => envelopeDelivery(id, JSON.stringify({ id, event: 'payment_succeeded', data: { order_id: `unknown-${id}` } }));
  const post = async (delivery: ReturnType<typeof order>) => {
    const started = Date.now();
    const response = await fetch(`${service.url}${delivery.path}`, { method: 'POST', headers: delivery.headers(), body: delivery.body });
    return { status: response.status, body: await response.text(), ms: Date.now() - started };
  };
  const health = async () => (await fetch(`${service.url}/health`)).status;

  it('answers 503 within seconds rather than waiting out query_wait_timeout (120 s), and recovers by itself', async () => {
    expect((await post(order('before'))).status).toBe(200);
    proxy.stall();
    try {
      // Deliveries on every pooled connection and more, and a load balancer's checks meanwhile.
      const checking = Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          await new Promise((resolve) => setTimeout(resolve, i * 500));
          const started = Date.now();
          return { status: await health(), ms: Date.now() - started };
        }),
      );
      const during = await Promise.all(Array.from({ length: 30 }, (_, i) => post(i % 2 ? payment(`during-${i}`) : order(`during-${i}`))));
      const checks = await checking;
      expect(checks.map((c) => c.status)).toEqual(Array(10).fill(503));
      expect(Math.max(...checks.map((c) => c.ms))).toBeLessThan(3_000);
      console.log(`PostgreSQL away behind PgBouncer: answers ${[...new Set(during.map((a) => a.status))].join(', ')} in at most ${Math.max(...during.map((a) => a.ms))} ms`);
      expect(during.map((a) => a.status)).toEqual(Array(30).fill(503));
      expect(during.every((a) => a.body.includes('"database_unavailable"'))).toBe(true);
      // Each wait has DB_CONNECT_TIMEOUT_MS (5 s): an order's turn in group commit, a connection from the pool,
      // the transaction's start. Three of them, at worst, and far from PgBouncer's 120 s.
      expect(Math.max(...during.map((a) => a.ms))).toBeLessThan(17_000);
    } finally {
      await proxy.restore();
    }
    await waitFor('healthy again', async () => (await health()) === 200, 60_000);
    const after = await Promise.all(Array.from({ length: 30 }, (_, i) => post(i % 2 ? payment(`during-${i}`) : order(`during-${i}`))));
    expect(after.map((a) => a.status)).toEqual(Array(30).fill(200));
    // Orders created, payments waiting for their orders: each applied now, none before.
    expect(after.map((a) => (JSON.parse(a.body) as { status: string }).status)).toEqual(Array.from({ length: 30 }, (_, i) => (i % 2 ? 'deferred' : 'processed')));
  });

  it('gives up a transaction the database stopped answering in the middle of, and applies its retry once', async () => {
    await seedSkus(scratchDatabaseUrl(), ['FROZEN'], 5);
    const id = 'frozen-1';
    const delivery = envelopeDelivery(
      id,
      JSON.stringify({ id, event: 'new_order', data: { order_id: id, customer_name: 'R', total_amount: 1, items: [{ sku: 'FROZEN', quantity: 2 }] } }),
    );
    // The delivery's transaction waits for the SKU's row, held past the relay; the server answers once it is
    // let go, but by then nothing it says gets through.
    const held = await holdStockRows(['FROZEN']);
    let pending: Promise<{ status: number; body: string }>;
    let started: number;
    try {
      started = Date.now();
      pending = fetch(`${service.url}${delivery.path}`, {
        method: 'POST',
        headers: delivery.headers(),
        body: delivery.body,
        signal: AbortSignal.timeout(60_000),
      }).then(async (r) => ({ status: r.status, body: await r.text() }));
      await held.waitForWaiters(1);
      proxy.freeze();
    } finally {
      await held.release();
    }

    const answer = await pending;
    const ms = Date.now() - started;
    console.log(`PostgreSQL silent mid-transaction behind PgBouncer: ${answer.status} after ${ms} ms`);
    expect(answer.status).toBe(503);
    expect(answer.body).toContain('"database_unavailable"');
    // CLIENT_DEADLINE_MS (20 s), not TCP's hours or HAProxy's 30 s.
    expect(ms).toBeLessThan(25_000);

    await proxy.restore();
    await waitFor('healthy again', async () => (await health()) === 200, 60_000);
    const retry = await post(delivery);
    expect(retry.status).toBe(200);
    const direct = new pg.Client({ connectionString: scratchDatabaseUrl() });
    await direct.connect();
    try {
      const { rows: [stock] } = await direct.query(`SELECT on_hand, reserved FROM stock WHERE sku = 'FROZEN'`);
      expect(stock).toEqual({ on_hand: 5, reserved: 2 });
      const { rows: [events] } = await direct.query<{ n: number }>(`SELECT count(*)::int AS n FROM webhook_events WHERE event_id = $1`, [id]);
      expect(events.n).toBe(1);
    } finally {
      await direct.end();
    }
  }, 120_000);

  it('still stops cleanly on SIGTERM after all that: no connection was left behind', async () => {
    service.child.kill('SIGTERM');
    const exited = await Promise.race([service.exited, new Promise((resolve) => setTimeout(() => resolve('still running after 15 s'), 15_000))]);
    expect(exited).toEqual({ code: 0, signal: null });
  });
});
