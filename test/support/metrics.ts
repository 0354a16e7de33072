/** The service's Prometheus page, as a scraper reads it. */
export async function metricsPage(baseUrl: string): Promise<string> {
  return (await fetch(`${baseUrl}/metrics`)).text();
}

/**
 * The value of one sample of a Prometheus page, by its name and labels as
 * printed. A counter is printed only once some label set of it counted, so a
 * series that is not there reads 0.
 */
export function sampleOf(page: string, series: string): number {
  const line = page.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

/** How many transactions the service has run again after a failure with `sqlstate` (40001, 40P01), so far. */
export async function transactionRetries(baseUrl: string, sqlstate: string): Promise<number> {
  return sampleOf(await metricsPage(baseUrl), `shelfsync_transaction_retries_total{sqlstate="${sqlstate}"}`);
}
