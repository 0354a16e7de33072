/**
 * The peer of the benchmark: the smallest honest webhook receiver one would
 * write with `node:http` and `pg` alone, doing the same transaction as the
 * service for a `new_order`. It is what the service's framework, validation
 * and bookkeeping are compared against.
 *
 * Per delivery: read the body, verify the HMAC-SHA256 of the raw bytes
 * (`x-signature`, hex, optional `sha256=` prefix, constant-time compare),
 * JSON.parse, minimal checks, then on one pooled connection, in single
 * statements (plain parameterised queries, as `pg` does by default; named,
 * so prepared once per connection, with PREPARED_STATEMENTS=true):
 *   BEGIN; claim the event id (INSERT ... ON CONFLICT DO NOTHING RETURNING id);
 *   INSERT the order; one INSERT per line; one guarded UPDATE per SKU, in SKU
 *   order (no deadlocks); COMMIT. The answer is sent after the commit.
 *
 * Env: PORT, DATABASE_URL, WEBHOOK_SECRET, PREPARED_STATEMENTS. SIGTERM finishes the requests in
 * flight, closes the pool and exits 0. Run by bench/run.ts; by hand:
 *   PORT=3100 DATABASE_URL=... WEBHOOK_SECRET=... node dist/bench/plain-receiver.js
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import pg from 'pg';

const BODY_LIMIT = 256 * 1024;
const port = Number(process.env.PORT ?? 3100);
const secret = process.env.WEBHOOK_SECRET;
if (!secret || !process.env.DATABASE_URL) {
  console.error('plain-receiver: DATABASE_URL and WEBHOOK_SECRET are required');
  process.exit(1);
}
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 32 });
const prepared = process.env.PREPARED_STATEMENTS === 'true';

/** A query, named (so `pg` prepares it once per connection) when PREPARED_STATEMENTS=true. */
function statement(name: string, text: string, values: unknown[]): pg.QueryConfig {
  return { name: prepared ? name : undefined, text, values };
}

interface Line {
  sku: string;
  quantity: number;
  unit_price: number | null;
}

interface NewOrder {
  eventId: string;
  orderId: string;
  customerName: string;
  customerEmail: string | null;
  totalAmount: number;
  currency: string;
  lines: Line[];
}

/** Thrown for a request the sender must fix: answered with its status. */
class Rejection extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT) reject(new Rejection(413, 'body too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function verifySignature(raw: Buffer, header: string | string[] | undefined): boolean {
  if (typeof header !== 'string') return false;
  const given = Buffer.from(header.replace(/^sha256=/, ''), 'hex');
  const expected = createHmac('sha256', secret!).update(raw).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The few checks a minimal receiver makes before writing: types and signs, nothing more. */
function parseNewOrder(raw: Buffer): NewOrder | { ignored: string } {
  let envelope: unknown;
  try {
    envelope = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new Rejection(400, 'malformed JSON');
  }
  if (!isRecord(envelope) || typeof envelope.id !== 'string' || !isRecord(envelope.data)) throw new Rejection(400, 'bad envelope');
  if (envelope.event !== 'new_order') return { ignored: String(envelope.event) };
  const data = envelope.data;
  const orderId = data.order_id;
  if ((typeof orderId !== 'string' && typeof orderId !== 'number') || String(orderId).length === 0) throw new Rejection(400, 'bad order_id');
  if (typeof data.customer_name !== 'string') throw new Rejection(400, 'bad customer_name');
  if (typeof data.total_amount !== 'number' || data.total_amount < 0) throw new Rejection(400, 'bad total_amount');
  const items = data.items ?? [];
  if (!Array.isArray(items)) throw new Rejection(400, 'bad items');
  const lines = items.map((item: unknown): Line => {
    if (!isRecord(item) || typeof item.sku !== 'string' || !Number.isInteger(item.quantity) || (item.quantity as number) < 1) {
      throw new Rejection(400, 'bad item');
    }
    return { sku: item.sku, quantity: item.quantity as number, unit_price: typeof item.unit_price === 'number' ? item.unit_price : null };
  });
  return {
    eventId: envelope.id,
    orderId: String(orderId),
    customerName: data.customer_name,
    customerEmail: typeof data.customer_email === 'string' ? data.customer_email : null,
    totalAmount: data.total_amount,
    currency: typeof data.currency === 'string' ? data.currency.toUpperCase() : 'USD',
    lines,
  };
}

/** Quantities per SKU, in SKU order (byte order, like the service's COLLATE "C"), so locks are always taken in one order. */
function quantitiesBySku(lines: Line[]): [string, number][] {
  const totals = new Map<string, number>();
  for (const line of lines) totals.set(line.sku, (totals.get(line.sku) ?? 0) + line.quantity);
  return [...totals].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The whole transaction; returns the answer's body. */
async function apply(order: NewOrder, headers: IncomingMessage['headers'], raw: Buffer): Promise<object> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const claimed = await client.query(
      statement(
        'claim',
        `INSERT INTO webhook_events (source, event_id, event_type, order_id, status, headers, raw_body, body_sha256, processed_at)
         VALUES ('default', $1, 'new_order', $2, 'processed', $3, $4, sha256($4), now())
         ON CONFLICT DO NOTHING RETURNING id`,
        [order.eventId, order.orderId, JSON.stringify(headers), raw],
      ),
    );
    if (claimed.rowCount === 0) {
      await client.query('COMMIT');
      return { event_id: order.eventId, status: 'duplicate' };
    }
    const inserted = await client.query(
      statement(
        'order',
        `INSERT INTO orders (order_id, status, customer_name, customer_email, total_amount, currency, source)
         VALUES ($1, 'pending', $2, $3, $4, $5, 'default') ON CONFLICT (source, order_id) DO NOTHING RETURNING order_id`,
        [order.orderId, order.customerName, order.customerEmail, order.totalAmount, order.currency],
      ),
    );
    if (inserted.rowCount === 0) {
      // A second new_order for a known order changes nothing but is kept as a delivery.
      await client.query('COMMIT');
      return { event_id: order.eventId, status: 'ignored', reason: 'order_already_exists' };
    }
    for (const [index, line] of order.lines.entries()) {
      await client.query(
        statement(
          'line',
          `INSERT INTO order_lines (order_source, order_id, line_no, sku, quantity, unit_price) VALUES ('default', $1, $2, $3, $4, $5)`,
          [order.orderId, index + 1, line.sku, line.quantity, line.unit_price],
        ),
      );
    }
    for (const [sku, quantity] of quantitiesBySku(order.lines)) {
      const reserved = await client.query(
        statement(
          'reserve',
          'UPDATE stock SET reserved = reserved + $2, updated_at = now() WHERE sku = $1 AND on_hand - reserved >= $2',
          [sku, quantity],
        ),
      );
      if (reserved.rowCount === 0) {
        // Not enough stock (or no such SKU): nothing of this delivery is kept.
        await client.query('ROLLBACK');
        return { event_id: order.eventId, status: 'rejected', reason: 'insufficient_stock' };
      }
    }
    await client.query('COMMIT');
    return { event_id: order.eventId, status: 'processed', order_status: 'pending' };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method === 'GET' && req.url === '/health') {
    await pool.query('SELECT 1');
    return send(res, 200, { status: 'ok' });
  }
  if (req.method !== 'POST' || req.url !== '/webhooks') return send(res, 404, { error: 'not found' });
  const raw = await readBody(req);
  if (!verifySignature(raw, req.headers['x-signature'])) return send(res, 401, { error: 'invalid signature' });
  const parsed = parseNewOrder(raw);
  if ('ignored' in parsed) return send(res, 200, { status: 'ignored', reason: `unsupported event ${parsed.ignored}` });
  send(res, 200, await apply(parsed, req.headers, raw));
}

const server = createServer((req, res) => {
  handle(req, res).catch((error: unknown) => {
    if (error instanceof Rejection) return send(res, error.status, { error: error.message });
    console.error(`plain-receiver: ${error instanceof Error ? error.message : String(error)}`);
    // As the service does: the sender retries a 503.
    if (!res.headersSent) send(res, 503, { error: 'database unavailable' });
  });
});

server.listen(port, '127.0.0.1', () => console.log(`plain-receiver listening on port ${port}`));

process.on('SIGTERM', () => {
  // close() stops accepting, closes idle keep-alive connections and waits for the requests in flight.
  server.close(() => {
    pool.end().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
  setTimeout(() => process.exit(1), 10_000).unref();
});
