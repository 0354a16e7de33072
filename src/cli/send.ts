/**
 * `npm run send -- <event> --order-id <id> [options]`: builds a contract event,
 * signs it the way the source's gateway would, posts it and prints the answer.
 * `npm run send -- <type> --provider <gateway> --body <file>`: posts a
 * gateway's own payload (its published sample, or a captured delivery) with
 * the headers and signature that gateway sends, to try a mapping before
 * pointing a store at shelfsync. For trying an integration by hand, the way
 * gateways ship a test sender.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readConfiguration } from '../configuration.js';
import { DEFAULT_SOURCE } from '../webhooks/webhook-sources.js';
import { SCHEMES } from '../webhooks/signature/schemes.js';
import { GATEWAY_SENDERS, parseExact, setPath, stringifyExact } from './gateway-senders.js';
import { errorMessage } from '../common/error-message.js';

const USAGE = `usage: npm run send -- <event> --order-id <id> [options]
       npm run send -- <type> --provider <gateway> --body <file> [--set path=value ...] [options]

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

A gateway's own payload (--provider stripe | shopify | woocommerce, which must be
what the source speaks, WEBHOOK_<NAME>_PROVIDER):
  <type>               the gateway's event type or topic: payment_intent.succeeded,
                       orders/create, order.updated, ...
  --body <file>        the payload: the gateway's sample (test/fixtures/gateways/) or a capture
  --set <path=value>   change a field first, numbers kept digit for digit; repeat for more:
                       --set id=820982911946154508  --set data.object.metadata.order_id=42
  --id <event id>      the event id (Stripe: the body's id; Shopify: x-shopify-event-id;
                       WooCommerce: x-wc-webhook-delivery-id); default a new one each time

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
      provider: { type: 'string' },
      body: { type: 'string' },
      set: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const [event] = positionals;
  if (!event) fail('name the event to send');

  const { config, sources } = readConfiguration(process.env);
  const sourceName = values.source?.toLowerCase() ?? DEFAULT_SOURCE;
  const source = sources.get(sourceName);
  if (!source) fail(`no source "${sourceName}": set WEBHOOK_${sourceName.toUpperCase()}_SECRET`);
  const secret = values.secret ?? (source.generatedSecret ? undefined : source.secrets[0]);
  if (!secret) fail('set WEBHOOK_SECRET to the secret the service uses (it prints a generated one at start), or pass --secret');
  const provider = values.provider?.toLowerCase() ?? source.provider;
  if (provider !== source.provider) {
    fail(`source "${sourceName}" speaks ${source.provider}, not ${provider}: set WEBHOOK_${sourceName.toUpperCase()}_PROVIDER=${provider} (and --source)`);
  }
  const base = (values.url ?? `http://localhost:${config.port}`).replace(/\/+$/, '');
  const url = `${base}/webhooks${sourceName === DEFAULT_SOURCE ? '' : `/${sourceName}`}`;
  const scheme = SCHEMES[source.schemes[0]];
  const eventId = values.id ?? `evt_${randomUUID()}`;

  let body: Buffer;
  let gatewayHeaders: Record<string, string> = {};
  if (provider === 'shelfsync') {
    body = envelope(event, eventId, values);
  } else {
    const sender = GATEWAY_SENDERS[provider];
    if (!values.body) fail(`--body <file> is required with --provider ${String(provider)}: the gateway's payload`);
    let payload: unknown;
    try {
      payload = parseExact(readFileSync(values.body, 'utf8'));
    } catch (error) {
      fail(`--body ${values.body}: ${(error as Error).message}`);
    }
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) fail(`--body ${values.body}: not a JSON object`);
    try {
      for (const assignment of values.set ?? []) setPath(payload as Record<string, unknown>, assignment);
    } catch (error) {
      fail((error as Error).message);
    }
    const prepared = sender.prepare(payload as Record<string, unknown>, event, eventId);
    body = Buffer.from(stringifyExact(prepared.body));
    gatewayHeaders = prepared.headers;
  }
  const headers = { ...gatewayHeaders, ...scheme.sign(body, scheme.keyOf(secret), { nowSeconds: Math.floor(Date.now() / 1000), id: eventId }) };

  console.log(`POST ${url} (${provider}, ${scheme.name})\n${body.toString()}`);
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  console.log(`${response.status} ${await response.text()}`);
  return response.ok ? 0 : 1;
}

/** The contract's envelope, built from the options. */
function envelope(event: string, eventId: string, values: { [key: string]: string | boolean | string[] | undefined }): Buffer {
  const orderIdText = values['order-id'] as string | undefined;
  if (!orderIdText) fail('--order-id is required');
  const orderId = /^\d+$/.test(orderIdText) && Number.isSafeInteger(Number(orderIdText)) ? Number(orderIdText) : orderIdText;

  const data: Record<string, unknown> = { order_id: orderId };
  if (event === 'new_order') {
    data.customer_name = values.customer ?? 'Test Customer';
    data.total_amount = values.total === undefined ? 0 : Number(values.total);
    data.items = ((values.sku as string[] | undefined) ?? []).map((line) => {
      const match = /^(.+):(\d+)$/.exec(line);
      if (!match) fail(`--sku ${line}: write it as SKU:quantity`);
      return { sku: match[1], quantity: Number(match[2]) };
    });
  }
  if (values.restock) data.restock = true;
  if (values.reason !== undefined) data.reason = values.reason;

  return Buffer.from(JSON.stringify({ id: eventId, event, created_at: new Date().toISOString(), data }));
}

send().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`send failed: ${errorMessage(error)}`);
    process.exit(2);
  },
);
