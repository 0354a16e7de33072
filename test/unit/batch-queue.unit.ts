import { describe, expect, it } from '@jest/globals';
import { BatchQueue } from '../../src/common/batch-queue.js';

type Limits = ConstructorParameters<typeof BatchQueue>[1];
const limits = (over: Partial<Limits> = {}): Limits => ({
  maxBatch: 64,
  maxInFlight: 2,
  maxWaitMs: 10_000,
  timeoutError: () => new Error('waited too long'),
  ...over,
});
const fulfilled = <T>(value: T): PromiseSettledResult<T> => ({ status: 'fulfilled', value });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Lets the queue start whatever it can start now (it starts batches on the next turn of the event loop). */
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** A batch runner that holds every batch until told to finish it, recording what each was given. */
function heldBatches<T>() {
  const started: T[][] = [];
  const finishers: (() => void)[] = [];
  let running = 0;
  let mostRunning = 0;
  const process = (items: T[]) => {
    started.push(items);
    mostRunning = Math.max(mostRunning, ++running);
    return new Promise<PromiseSettledResult<T>[]>((resolve) =>
      finishers.push(() => {
        running--;
        resolve(items.map(fulfilled));
      }),
    );
  };
  return {
    process,
    started,
    sizes: () => started.map((batch) => batch.length),
    mostRunning: () => mostRunning,
    /** Finishes the oldest batch still running. */
    finishOne: () => finishers.shift()!(),
    finishAll: async () => {
      while (finishers.length) {
        finishers.shift()!();
        await settle();
      }
    },
  };
}

describe('BatchQueue', () => {
  it('starts an item at once when nothing is in flight: a quiet queue adds no wait', async () => {
    const runner = heldBatches<string>();
    const queue = new BatchQueue(runner.process, limits());
    const answer = queue.push('a');
    await settle();
    expect(runner.started).toEqual([['a']]);
    runner.finishOne();
    await expect(answer).resolves.toBe('a');
  });

  it('sends the items that arrive in the same turn of the event loop together', async () => {
    const runner = heldBatches<number>();
    const queue = new BatchQueue(runner.process, limits());
    const answers = [1, 2, 3, 4, 5].map((n) => queue.push(n));
    await settle();
    expect(runner.started).toEqual([[1, 2, 3, 4, 5]]);
    await runner.finishAll();
    await expect(Promise.all(answers)).resolves.toEqual([1, 2, 3, 4, 5]);
  });

  it.each([
    // [maxBatch, maxInFlight, items arriving while the first batch runs, batch sizes in the order they started]
    [64, 1, 10, [1, 10]],
    [4, 1, 10, [1, 4, 4, 2]],
    [64, 2, 10, [1, 10]],
    [3, 2, 10, [1, 3, 3, 3, 1]],
    [64, 1, 200, [1, 64, 64, 64, 8]],
  ])('under load (maxBatch %i, maxInFlight %i, %i arrivals while busy) starts batches of sizes %j', async (maxBatch, maxInFlight, arrivals, sizes) => {
    const runner = heldBatches<number>();
    const queue = new BatchQueue(runner.process, limits({ maxBatch, maxInFlight }));
    const first = queue.push(0);
    await settle();
    const waiting = Array.from({ length: arrivals }, (_, i) => queue.push(i + 1));
    await settle();
    await runner.finishAll();
    expect(runner.sizes()).toEqual(sizes);
    // every item went exactly once, in arrival order
    expect(runner.started.flat()).toEqual(Array.from({ length: arrivals + 1 }, (_, i) => i));
    await expect(Promise.all([first, ...waiting])).resolves.toEqual(runner.started.flat());
  });

  it.each([1, 2, 3])('never runs more than maxInFlight = %i batches at once', async (maxInFlight) => {
    const runner = heldBatches<number>();
    const queue = new BatchQueue(runner.process, limits({ maxBatch: 1, maxInFlight }));
    const answers = Array.from({ length: 10 }, (_, n) => queue.push(n));
    await settle();
    expect(runner.started).toHaveLength(maxInFlight);
    runner.finishOne();
    await settle();
    expect(runner.started).toHaveLength(maxInFlight + 1);
    await runner.finishAll();
    await Promise.all(answers);
    expect(runner.mostRunning()).toBe(maxInFlight);
    expect(runner.started).toHaveLength(10);
  });

  it('runs at most maxInFlight batches of at most maxBatch items, and answers each item with its own result', async () => {
    const batches: number[][] = [];
    let inFlight = 0;
    let mostInFlight = 0;
    const queue = new BatchQueue<number, number>(
      async (items) => {
        batches.push(items);
        mostInFlight = Math.max(mostInFlight, ++inFlight);
        await sleep(20);
        inFlight--;
        return items.map((n) => (n % 7 === 0 ? { status: 'rejected', reason: new Error(`no ${n}`) } : { status: 'fulfilled', value: n * 2 }));
      },
      limits({ maxBatch: 5, maxInFlight: 2 }),
    );
    const results = await Promise.allSettled(Array.from({ length: 23 }, (_, n) => queue.push(n)));

    results.forEach((result, n) => {
      if (n % 7 === 0) expect(result).toEqual({ status: 'rejected', reason: new Error(`no ${n}`) });
      else expect(result).toEqual({ status: 'fulfilled', value: n * 2 });
    });
    expect(mostInFlight).toBe(2);
    expect(Math.max(...batches.map((b) => b.length))).toBe(5);
    // every item went exactly once, in arrival order
    expect(batches.flat()).toEqual(Array.from({ length: 23 }, (_, n) => n));
  });

  it('rejects the items a batch gives no result for, and answers the others', async () => {
    const queue = new BatchQueue<string, string>((items) => Promise.resolve(items.slice(0, 1).map(fulfilled)), limits());
    const answers = await Promise.allSettled([queue.push('a'), queue.push('b'), queue.push('c')]);
    expect(answers).toEqual([
      { status: 'fulfilled', value: 'a' },
      { status: 'rejected', reason: new Error('the batch gave no result for this item') },
      { status: 'rejected', reason: new Error('the batch gave no result for this item') },
    ]);
  });

  it.each([
    ['rejects', (): Promise<PromiseSettledResult<string>[]> => Promise.reject(new Error('database away'))],
    [
      'throws before returning a promise',
      (): Promise<PromiseSettledResult<string>[]> => {
        throw new Error('database away');
      },
    ],
  ])('rejects every item of a batch whose processing %s, and goes on with the next', async (_how, fail) => {
    let calls = 0;
    const queue = new BatchQueue<string, string>(
      (items) => (++calls === 1 ? fail() : Promise.resolve(items.map((item) => fulfilled(item.toUpperCase())))),
      limits({ maxBatch: 10, maxInFlight: 1 }),
    );
    const first = await Promise.allSettled([queue.push('a'), queue.push('b')]);
    expect(first).toEqual([
      { status: 'rejected', reason: new Error('database away') },
      { status: 'rejected', reason: new Error('database away') },
    ]);
    await expect(queue.push('c')).resolves.toBe('C');
  });

  it('rejects an item that cannot start within maxWaitMs, and never runs it', async () => {
    const ran: string[] = [];
    let release: () => void = () => undefined;
    const queue = new BatchQueue<string, string>(
      async (items) => {
        ran.push(...items);
        if (items.includes('slow')) await new Promise<void>((resolve) => (release = resolve));
        return items.map(fulfilled);
      },
      limits({ maxBatch: 10, maxInFlight: 1, maxWaitMs: 50 }),
    );
    const slow = queue.push('slow');
    await sleep(10);
    await expect(queue.push('late')).rejects.toThrow('waited too long');
    release();
    await expect(slow).resolves.toBe('slow');
    await expect(queue.push('after')).resolves.toBe('after');
    expect(ran).toEqual(['slow', 'after']);
  });

  it('never times out an item whose batch started in time, however long the batch runs', async () => {
    const queue = new BatchQueue<string, string>(
      async (items) => {
        await sleep(80);
        return items.map(fulfilled);
      },
      limits({ maxWaitMs: 20 }),
    );
    await expect(queue.push('patient')).resolves.toBe('patient');
  });
});
