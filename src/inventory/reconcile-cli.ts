/**
 * `npm run reconcile`: checks that, for every SKU, the ledger (stock_movements)
 * sums to the counters (stock) and its reserved units are what the order
 * lines hold reserved; and that every order line's counters are the sums of
 * the ledger rows that name it. Prints each difference; exits 1 if there is
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
    const stock = new StockRepository();
    const { mismatches, held, lines, skus, lineCount } = await dataSource.transaction('REPEATABLE READ', async (em) => ({
      mismatches: await stock.ledgerMismatches(em),
      held: await stock.heldMismatches(em),
      lines: await stock.lineMismatches(em),
      skus: Number((await em.query<{ n: string }[]>('SELECT count(*) AS n FROM stock'))[0].n),
      lineCount: Number((await em.query<{ n: string }[]>('SELECT count(*) AS n FROM order_lines'))[0].n),
    }));
    if (mismatches.length === 0 && held.length === 0 && lines.length === 0) {
      console.log(`ledger matches the counters of all ${skus} SKUs and ${lineCount} order lines`);
      return 0;
    }
    if (mismatches.length > 0) {
      console.log(`ledger differs from the counters of ${mismatches.length} of ${skus} SKUs:`);
      console.log('sku\ton_hand\tledger_on_hand\treserved\tledger_reserved');
      for (const m of mismatches) {
        console.log(`${m.sku}\t${m.on_hand}\t${m.ledger_on_hand}\t${m.reserved}\t${m.ledger_reserved}`);
      }
    }
    if (held.length > 0) {
      console.log(`reserved differs from what the order lines hold for ${held.length} SKUs:`);
      console.log('sku\treserved\tlines_reserved');
      for (const h of held) console.log(`${h.sku}\t${h.reserved}\t${h.lines_reserved}`);
    }
    if (lines.length > 0) {
      console.log(`ledger differs from the counters of ${lines.length} of ${lineCount} order lines:`);
      console.log('source\torder_id\tline_no\tsku\treserved\tledger_reserved\tfulfilled\tledger_committed\treturned\tledger_restocked\tledger_released');
      for (const l of lines) {
        console.log(
          [l.order_source, l.order_id, l.line_no, l.sku ?? '', l.reserved_quantity, l.ledger_reserved, l.fulfilled_quantity, l.ledger_committed,
            l.returned_quantity, l.ledger_restocked, l.ledger_released].join('\t'),
        );
      }
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
