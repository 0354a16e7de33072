import { afterEach, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { scratchDatabaseUrl } from '../support/scratch-database.js';
import { freePort, spawnService, type ServiceProcess } from '../support/service-process.js';
import { checkExactness, exact, deliverUntilAcknowledged, inParallel, pathCounts, planWorkload, seedSkus, SOURCES_ENV } from './fault-support.js';

const SKUS = ['K1', 'K2', 'K3', 'K4', 'K5'];
const ON_HAND = 100_000;

describe('crashes and lost connections under load', () => {
  const services: ServiceProcess[] = [];
  afterEach(async () => {
    for (const s of services.splice(0)) {
      if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
      await s.exited;
    }
  });

  async function start(port: number): Promise<ServiceProcess> {
    const service = await spawnService({ PORT: String(port), ...SOURCES_ENV, DATABASE_URL: scratchDatabaseUrl(), DB_POOL_SIZE: '10' });
    services.push(service);
    return service;
  }

  it('applies every event exactly once when the service is killed with -9 three times while a retrying sender delivers 2,000', async () => {
    const port = await freePort();
    let service = await start(port);
    await seedSkus(scratchDatabaseUrl(), SKUS, ON_HAND);
    const { plan, deliveries } = planWorkload(850, SKUS, 7, { native: true });
    expect(deliveries.length).toBeGreaterThan(1_900);

    const seen = new Map<number | string, number>();
    const url = () => service.url;
    const sending = inParallel(deliveries, 16, (delivery) => deliverUntilAcknowledged(url, delivery, { seen }));

    let kills = 0;
    for (const delayMs of [700, 1_200, 900]) {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      service.child.kill('SIGKILL');
      await service.exited;
      kills += 1;
      service = await start(port);
    }
    const acks = await sending;

    const statuses = [...seen.entries()].sort().map(([k, n]) => `${k}:${n}`).join(' ');
    const retries = acks.reduce((sum, a) => sum + a.attempts - 1, 0);
    console.log(`kill -9: ${deliveries.length} events (orders: ${pathCounts(plan)}), ${kills} kills, ${retries} retries; answers seen ${statuses}`);
    expect(kills).toBe(3);
    expect(acks.every((a) => a.status === 200)).toBe(true);
    expect(retries).toBeGreaterThan(0);

    const result = await checkExactness(scratchDatabaseUrl(), plan, ON_HAND);
    expect(result).toEqual(exact(deliveries.length));
  });

  it('applies every event exactly once while the database terminates the service\'s connections under load', async () => {
    const service = await start(await freePort());
    const admin = new pg.Client({ connectionString: scratchDatabaseUrl() });
    await admin.connect();
    try {
      await admin.query(`TRUNCATE stock_movements, order_status_history, order_lines, orders, webhook_events, stock RESTART IDENTITY CASCADE`);
      await seedSkus(scratchDatabaseUrl(), SKUS, ON_HAND);
      const { plan, deliveries } = planWorkload(800, SKUS, 11, { native: true });
      const seen = new Map<number | string, number>();
      let stop = false;
      let terminated = 0;
      const killer = (async () => {
        while (!stop) {
          const { rows } = await admin.query<{ n: string }>(
            `SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity
              WHERE datname = current_database() AND application_name = 'shelfsync' AND pid <> pg_backend_pid()`,
          );
          terminated += Number(rows[0].n);
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      })();
      const acks = await inParallel(deliveries, 16, (delivery) => deliverUntilAcknowledged(() => service.url, delivery, { seen }));
      stop = true;
      await killer;

      const statuses = [...seen.entries()].sort().map(([k, n]) => `${k}:${n}`).join(' ');
      const retries = acks.reduce((sum, a) => sum + a.attempts - 1, 0);
      console.log(`pg_terminate_backend: ${deliveries.length} events (orders: ${pathCounts(plan)}), ${terminated} connections terminated, ${retries} retries; answers seen ${statuses}`);
      expect(terminated).toBeGreaterThan(0);
      expect(acks.every((a) => a.status === 200)).toBe(true);
      // Lost connections are 503s the sender retries, never 500s.
      expect(seen.get(500)).toBeUndefined();
      const result = await checkExactness(scratchDatabaseUrl(), plan, ON_HAND);
      expect(result).toEqual(exact(deliveries.length));
      expect((await fetch(`${service.url}/health`)).status).toBe(200);
    } finally {
      await admin.end();
    }
  });
});
