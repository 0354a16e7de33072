import type { DataSource } from 'typeorm';

/**
 * Every key a list shows, following its next cursor page after page until it
 * ends: a list that loops or skips rows shows it here. `next` fetches one page
 * (undefined: the first) and answers its keys and the cursor to the next one.
 */
export async function pageThrough(
  next: (cursor: string | undefined) => Promise<{ keys: string[]; cursor: string | null }>,
  maxPages = 100,
): Promise<{ keys: string[]; pages: number }> {
  const keys: string[] = [];
  let cursor: string | undefined;
  for (let pages = 1; pages <= maxPages; pages += 1) {
    const page = await next(cursor);
    keys.push(...page.keys);
    if (page.cursor === null) return { keys, pages };
    cursor = page.cursor;
  }
  throw new Error(`still paging after ${maxPages} pages (${keys.length} rows so far)`);
}

/**
 * `n` rows in each list the service has, numbered from 1 so that their ids
 * cross digit boundaries (9 to 10, 99 to 100): deliveries, orders, SKUs,
 * notification endpoints (created one second apart) and settled messages to
 * the first endpoint (settled, so no sender picks them up). Returns the
 * endpoints' ids, oldest first.
 */
export async function seedLists(db: DataSource, n: number): Promise<string[]> {
  await db.query(`DELETE FROM notification_endpoints`);
  await db.query(`SELECT setval('notifications_id_seq', 1, false)`);
  await db.query(
    `INSERT INTO webhook_events (source, event_id, event_type, status, headers, raw_body)
     SELECT 'default', 'evt-' || g, 'customer_waved', 'ignored', '{}', '\\x7b7d'::bytea FROM generate_series(1, $1) g ORDER BY g`,
    [n],
  );
  await db.query(
    `INSERT INTO orders (order_id, status, customer_name, total_amount, currency, source)
     SELECT 'order-' || g, 'pending', 'Ada', 1, 'EUR', 'default' FROM generate_series(1, $1) g ORDER BY g`,
    [n],
  );
  await db.query(`INSERT INTO stock (sku, on_hand) SELECT 'SKU-' || g, g FROM generate_series(1, $1) g`, [n]);
  const endpoints = await db.query<{ id: string }[]>(
    `INSERT INTO notification_endpoints (url, secret, created_at)
     SELECT 'https://shop.example/hook/' || g, 'whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0', now() - make_interval(secs => $1 - g)
       FROM generate_series(1, $1) g ORDER BY g
     RETURNING id::text AS id`,
    [n],
  );
  await db.query(
    `INSERT INTO notifications (endpoint_id, message_id, event_type, body, status, delivered_at)
     SELECT $2::uuid, 'msg_' || g, 'order.status_changed', '{}', 'delivered', now() FROM generate_series(1, $1) g ORDER BY g`,
    [n, endpoints[0].id],
  );
  return endpoints.map((e) => e.id);
}
