import { beforeEach, describe, expect, it } from '@jest/globals';
import { TransactionRunner } from '../src/database/transaction-runner.js';
import { count, resetDatabase, seedStock, stockOf, failInserts } from './support/database.js';
import { transactionRetries } from './support/metrics.js';
import { failedDelivery, useServiceLogs } from './support/service-logs.js';
import { deliver, newOrderEvent, useTestApp, type TestApp } from './support/test-app.js';

/**
 * Makes the ledger insert raise `sqlstate` on its first `times` calls. A
 * sequence counts them because, unlike a table, it is not rolled back.
 */
async function failLedgerInserts(t: TestApp, sqlstate: string, times: number): Promise<void> {
  await t.db.query(`DROP SEQUENCE IF EXISTS ledger_failures; CREATE SEQUENCE ledger_failures`);
  await failInserts(t.db, {
    name: 'fail_ledger',
    table: 'stock_movements',
    when: `nextval('ledger_failures') <= ${times}`,
    message: 'injected failure',
    sqlstate,
  });
}

describe('transaction retries', () => {
  const t = useTestApp();
  const logs = useServiceLogs();
  beforeEach(async () => {
    await t.db.query(`DROP TRIGGER IF EXISTS fail_ledger ON stock_movements`);
    await resetDatabase(t.db);
    await seedStock(t.db, { A: 5 });
  });

  it.each([
    ['a serialization failure (40001)', '40001'],
    ['a deadlock (40P01)', '40P01'],
  ])('runs the whole delivery again after %s, and applies it once', async (_name, sqlstate) => {
    await failLedgerInserts(t, sqlstate, 2);
    const retriesBefore = await transactionRetries(t.url, sqlstate);
    const res = await deliver(t.url, newOrderEvent({ id: 'retry-1', orderId: 'r1', items: [{ sku: 'A', quantity: 2 }] }));
    expect(res.body).toMatchObject({ status: 'processed', order_status: 'pending' });
    expect(await stockOf(t.db, 'A')).toEqual({ on_hand: 5, reserved: 2 });
    expect(await count(t.db, 'stock_movements', `kind = 'reserve'`)).toBe(1);
    const [event] = await t.db.query(`SELECT status, attempts FROM webhook_events`);
    expect(event).toEqual({ status: 'processed', attempts: 1 });
    // Each retry is counted under its SQLSTATE, so one a retry hid still shows.
    expect((await transactionRetries(t.url, sqlstate)) - retriesBefore).toBe(2);
  });

  it('answers 503 once the retries are spent, keeping nothing, so the sender tries again later', async () => {
    await failLedgerInserts(t, '40001', 1000);
    const res = await deliver(t.url, newOrderEvent({ id: 'retry-2', orderId: 'r2', items: [{ sku: 'A', quantity: 2 }] }));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await count(t.db, 'webhook_events')).toBe(0);
    expect(await count(t.db, 'orders')).toBe(0);
    const [{ attempts }] = await t.db.query(`SELECT last_value::int AS attempts FROM ledger_failures`);
    expect(attempts).toBe(5);
  });

  it('does not retry other errors: the delivery is kept as failed and answered 500', async () => {
    await failLedgerInserts(t, '23514', 1000);
    const res = await deliver(t.url, newOrderEvent({ id: 'retry-3', orderId: 'r3', items: [{ sku: 'A', quantity: 2 }] }));
    expect(res.status).toBe(500);
    expect(await logs.errors()).toEqual(failedDelivery('retry-3', /^QueryFailedError: injected failure/));
    const [{ attempts }] = await t.db.query(`SELECT last_value::int AS attempts FROM ledger_failures`);
    expect(attempts).toBe(1);
    const [event] = await t.db.query(`SELECT status, last_error FROM webhook_events`);
    expect(event).toEqual({ status: 'failed', last_error: 'injected failure' });
  });

  it('logs which delivery it could not keep as failed when keeping it fails too', async () => {
    await failLedgerInserts(t, '23514', 1000);
    await failInserts(t.db, { name: 'fail_keep', table: 'webhook_events', when: `NEW.status = 'failed'`, message: 'cannot keep it' });
    try {
      const res = await deliver(t.url, newOrderEvent({ id: 'retry-4', orderId: 'r4', items: [{ sku: 'A', quantity: 2 }] }));
      expect(res.status).toBe(500);
    } finally {
      await t.db.query(`DROP TRIGGER IF EXISTS fail_keep ON webhook_events`);
    }
    expect(await logs.errors()).toEqual([
      expect.objectContaining({
        context: 'TransactionRunner',
        msg: 'could not record failed delivery default/retry-4 (injected failure): cannot keep it',
      }),
      ...failedDelivery('retry-4', /^QueryFailedError: injected failure/),
    ]);
    expect(await count(t.db, 'webhook_events')).toBe(0);
  });

  /**
   * Runs `work` as one transaction in which `write(sku)` adds a stock row; its answer, and the rows
   * written that stayed once it committed.
   */
  async function savepoints<T>(work: (unit: Savepoint, write: (sku: string) => Promise<unknown>) => Promise<T>) {
    const runner = t.app.get(TransactionRunner);
    const answer = await runner.run((em) =>
      work(
        (body, onFailure) => runner.inSavepoint(em, body, onFailure),
        (sku) => em.query(`INSERT INTO stock (sku, on_hand) VALUES ($1, 1)`, [sku]),
      ),
    );
    const kept = (await t.db.query(`SELECT sku FROM stock WHERE sku <> 'A' ORDER BY sku`)).map((r: { sku: string }) => r.sku);
    return { answer, kept };
  }
  type Savepoint = <T, F>(body: () => Promise<T>, onFailure: (error: unknown) => Promise<F>) => Promise<T | F>;
  const failing = (message: string) => () => Promise.reject(new Error(message));

  it('rolls a unit of work that fails back to its savepoint alone, nested ones too, and the transaction goes on', async () => {
    const { answer, kept } = await savepoints(async (unit, write) => {
      await write('before');
      const outer = await unit(
        async () => {
          await write('outer');
          const inner = await unit(
            () => write('inner').then(failing('the inner unit fails')),
            (error) => Promise.resolve(`kept going after: ${(error as Error).message}`),
          );
          await write('after inner');
          return inner;
        },
        () => Promise.resolve('the outer unit failed'),
      );
      // a duplicate key: PostgreSQL's own error, the transaction aborted up to the savepoint
      const failed = await unit(
        () => write('second').then(() => write('second')),
        () => Promise.resolve('second rolled back'),
      );
      await write('last');
      return [outer, failed];
    });
    expect(answer).toEqual(['kept going after: the inner unit fails', 'second rolled back']);
    expect(kept).toEqual(['after inner', 'before', 'last', 'outer']);
  });

  it('rolls an outer unit that fails back to its own savepoint, after an inner unit failed inside it', async () => {
    const { answer, kept } = await savepoints(async (unit, write) => {
      await write('before');
      const outer = await unit(
        async () => {
          await write('outer');
          await unit(() => write('inner').then(failing('the inner unit fails')), () => Promise.resolve(undefined));
          throw new Error('the outer unit fails too');
        },
        (error) => Promise.resolve((error as Error).message),
      );
      await write('last');
      return outer;
    });
    expect(answer).toBe('the outer unit fails too');
    // Neither unit's writes stay: the outer one rolled back to its own savepoint, not to the inner one's.
    expect(kept).toEqual(['before', 'last']);
  });
});
