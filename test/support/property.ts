import fc from 'fast-check';

export interface RunBudget {
  /** Runs wanted. */
  runs: number;
  /** Fewer runs than this within the budget fail the test: a handful of interleavings proves little. */
  minRuns: number;
  /** Time after which no new run starts, and the one under way is abandoned. */
  budgetMs: number;
}

/**
 * Checks an async property for as many runs as fit in the budget (up to
 * `runs`), and throws when it fails, or when fewer than `minRuns` ran.
 * `build`'s predicate runs each run through `track`: a run the time limit
 * abandons goes on in the background, and is waited for here, so that it
 * never overlaps the next test's database reset or the service's shutdown.
 */
export async function checkWithinBudget<Ts>(
  build: (track: (run: () => Promise<void>) => Promise<void>) => fc.IAsyncProperty<Ts>,
  budget: RunBudget,
): Promise<void> {
  let current: Promise<void> = Promise.resolve();
  const track = (run: () => Promise<void>) => {
    current = run();
    return current;
  };
  const details = await fc.check(build(track), { numRuns: budget.runs, plugins: [fc.interruptAfterTimeLimit(budget.budgetMs)] });
  await current.catch(() => undefined);
  if (details.failed) throw new Error(fc.defaultReportMessage(details), { cause: details.errorInstance });
  if (details.numRuns < budget.minRuns) {
    throw new Error(`only ${details.numRuns} runs fitted in ${budget.budgetMs} ms; at least ${budget.minRuns} are needed`);
  }
}
