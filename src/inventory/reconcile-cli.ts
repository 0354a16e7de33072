/**
 * `npm run reconcile`: checks that, for every SKU, the ledger (stock_movements)
 * sums to the counters (stock). Prints each difference; exits 1 if there is
 * any, 0 when every unit is explained, 2 when the check could not run.
 */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { dataSourceOptions } from '../database/data-source-options.js';
import { resolveDatabaseUrl } from '../database/database-url.js';
import { StockRepository } from './stock.repository.js';
import { errorMessage } from '../common/error-message.js';

async function reconcile(): Promise<number> {
  const config = AppConfig.fromEnv(process.env);
  const { url, embedded } = await resolveDatabaseUrl(config, (line) => console.error(`[reconcile] ${line}`));
  const dataSource = await new DataSource(dataSourceOptions(url, { poolSize: 1, connectTimeoutMs: config.dbConnectTimeoutMs })).initialize();
  try {
    // One snapshot for both sums and counters, so concurrent deliveries cannot show as differences.
    const { mismatches, skus } = await dataSource.transaction('REPEATABLE READ', async (em) => ({
      mismatches: await new StockRepository().ledgerMismatches(em),
      skus: Number((await em.query<{ n: string }[]>('SELECT count(*) AS n FROM stock'))[0].n),
    }));
    if (mismatches.length === 0) {
      console.log(`ledger matches the counters of all ${skus} SKUs`);
      return 0;
    }
    console.log(`ledger differs from the counters of ${mismatches.length} of ${skus} SKUs:`);
    console.log('sku\ton_hand\tledger_on_hand\treserved\tledger_reserved');
    for (const m of mismatches) {
      console.log(`${m.sku}\t${m.on_hand}\t${m.ledger_on_hand}\t${m.reserved}\t${m.ledger_reserved}`);
    }
    return 1;
  } finally {
    await dataSource.destroy();
    if (embedded?.owned) await embedded.stop();
  }
}

reconcile().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`reconcile could not run: ${errorMessage(error)}`);
    process.exit(2);
  },
);
