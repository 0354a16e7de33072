/**
 * `npm run send -- <event> --order-id <id> [options]`: builds a contract event,
 * signs it the way the source's gateway would, posts it and prints the answer.
 * For trying an integration by hand, the way gateways ship a test sender.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { AppConfig, DEFAULT_SOURCE } from '../config/app-config.js';
import { SCHEMES } from '../webhooks/signature/schemes.js';

const USAGE = `usage: npm run send -- <event> --order-id <id> [options]

  <event>              new_order, payment_succeeded, payment_failed, order_cancelled,
                       order_fulfilled, order_refunded (or any other name, to see it ignored)
  --order-id <id>      the order (required)
  --sku <SKU:qty>      a line of a new_order; repeat for more lines
  --customer <name>    new_order customer_name (default "Test Customer")
  --total <amount>     new_order total_amount (default 0)
  --restock            order_refunded: put shipped units back on hand
  --reason <text>      payment_failed / order_cancelled reason
  --id <event id>      the event id (default a new one each time)
  --source <name>      a named source (WEBHOOK_<NAME>_SECRET/_SCHEME); default POST /webhooks
  --url <base url>     the service (default http://localhost:$PORT, PORT defaulting to 3000)
  --secret <secret>    sign with this instead of the source's configured secret

The secret and scheme come from the same variables the service reads
(WEBHOOK_SECRET, WEBHOOK_SIGNATURE_SCHEME, WEBHOOK_<NAME>_SECRET, WEBHOOK_<NAME>_SCHEME).`;

function fail(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

async function send(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      'order-id': { type: 'string' },
      sku: { type: 'string', multiple: true },
      customer: { type: 'string' },
      total: { type: 'string' },
      restock: { type: 'boolean' },
      reason: { type: 'string' },
      id: { type: 'string' },
      source: { type: 'string' },
      url: { type: 'string' },
      secret: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const [event] = positionals;
  if (!event) fail('name the event to send');
  const orderIdText = values['order-id'];
  if (!orderIdText) fail('--order-id is required');
  const orderId = /^\d+$/.test(orderIdText) && Number.isSafeInteger(Number(orderIdText)) ? Number(orderIdText) : orderIdText;

  const config = AppConfig.fromEnv(process.env);
  const sourceName = values.source?.toLowerCase() ?? DEFAULT_SOURCE;
  const source = config.sources.get(sourceName);
  if (!source) fail(`no source "${sourceName}": set WEBHOOK_${sourceName.toUpperCase()}_SECRET`);
  const secret = values.secret ?? (source.generatedSecret ? undefined : source.secrets[0]);
  if (!secret) fail('set WEBHOOK_SECRET to the secret the service uses (it prints a generated one at start), or pass --secret');

  const data: Record<string, unknown> = { order_id: orderId };
  if (event === 'new_order') {
    data.customer_name = values.customer ?? 'Test Customer';
    data.total_amount = values.total === undefined ? 0 : Number(values.total);
    data.items = (values.sku ?? []).map((line) => {
      const match = /^(.+):(\d+)$/.exec(line);
      if (!match) fail(`--sku ${line}: write it as SKU:quantity`);
      return { sku: match[1], quantity: Number(match[2]) };
    });
  }
  if (values.restock) data.restock = true;
  if (values.reason !== undefined) data.reason = values.reason;

  const eventId = values.id ?? `evt_${randomUUID()}`;
  const body = Buffer.from(JSON.stringify({ id: eventId, event, created_at: new Date().toISOString(), data }));
  const scheme = SCHEMES[source.schemes[0]];
  const headers = scheme.sign(body, scheme.keyOf(secret), { nowSeconds: Math.floor(Date.now() / 1000), id: eventId });

  const base = (values.url ?? `http://localhost:${config.port}`).replace(/\/+$/, '');
  const url = `${base}/webhooks${sourceName === DEFAULT_SOURCE ? '' : `/${sourceName}`}`;
  console.log(`POST ${url} (${scheme.name})\n${body.toString()}`);
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  console.log(`${response.status} ${await response.text()}`);
  return response.ok ? 0 : 1;
}

send().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`send failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  },
);
