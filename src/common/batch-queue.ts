/**
 * Group commit: work items that arrive while earlier batches are in flight
 * wait and go together in the next batch. An item that arrives when a batch
 * slot is free starts at once (after the current turn of the event loop, so
 * that the items read from the network in the same turn go together): under
 * light load nothing waits, under heavy load batches grow, and the number
 * of batches in flight (and so of database connections) stays bounded. An
 * item that cannot start within `maxWaitMs` is rejected with `timeoutError()`
 * and never runs, so a stuck database cannot make waiters pile up for long.
 */
interface Entry<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (reason: unknown) => void;
  timer?: NodeJS.Timeout;
}

export class BatchQueue<I, O> {
  private readonly waiting: Entry<I, O>[] = [];
  private running = 0;
  private scheduled = false;

  constructor(
    /** Runs one batch; answers one settled result per item, in the items' order. */
    private readonly process: (items: I[]) => Promise<PromiseSettledResult<O>[]>,
    private readonly limits: { maxBatch: number; maxInFlight: number; maxWaitMs: number; timeoutError: () => Error },
  ) {}

  push(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      const entry: Entry<I, O> = { item, resolve, reject };
      entry.timer = setTimeout(() => {
        const index = this.waiting.indexOf(entry);
        if (index === -1) return;
        this.waiting.splice(index, 1);
        reject(this.limits.timeoutError());
      }, this.limits.maxWaitMs);
      this.waiting.push(entry);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.running >= this.limits.maxInFlight) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      while (this.running < this.limits.maxInFlight && this.waiting.length > 0) {
        void this.run(this.waiting.splice(0, this.limits.maxBatch));
      }
    });
  }

  private async run(batch: Entry<I, O>[]): Promise<void> {
    this.running++;
    for (const entry of batch) clearTimeout(entry.timer);
    try {
      const results = await this.process(batch.map((entry) => entry.item));
      batch.forEach((entry, i) => {
        const result = results[i] as PromiseSettledResult<O> | undefined;
        if (!result) entry.reject(new Error('the batch gave no result for this item'));
        else if (result.status === 'fulfilled') entry.resolve(result.value);
        else entry.reject(result.reason);
      });
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    } finally {
      this.running--;
      if (this.waiting.length > 0) this.schedule();
    }
  }
}
