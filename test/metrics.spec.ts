import { beforeAll, describe, expect, it } from '@jest/globals';
import { resetDatabase, seedStock } from './support/database.js';
import { admin, deliver, newOrderEvent, useTestApp } from './support/test-app.js';

/** The value of one sample line of a Prometheus text page, by its name and labels as printed. */
function sample(page: string, series: string): number | undefined {
  const line = page.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GET /metrics', () => {
  const t = useTestApp({ WEBHOOK_SHOP_SECRET: 'shop' });
  beforeAll(async () => {
    await resetDatabase(t.db);
    await seedStock(t.db, { A: 10 });
  });

  it('counts deliveries by source, type and outcome, with signature failures, deferred events and low stock', async () => {
    await deliver(t.url, newOrderEvent({ id: 'm1', orderId: 'm1', items: [{ sku: 'A', quantity: 1 }] }));
    await deliver(t.url, newOrderEvent({ id: 'm1', orderId: 'm1', items: [{ sku: 'A', quantity: 1 }] }));
    await deliver(t.url, JSON.stringify({ id: 'm2', event: 'order_fulfilled', data: { order_id: 'm1' } }));
    await deliver(t.url, JSON.stringify({ id: 'm3', event: 'charge.succeeded', data: {} }));
    await deliver(t.url, '{"broken', { path: '/webhooks/shop', secret: 'shop' });
    // Named, but its data is wrong: counted under the type it names.
    await deliver(t.url, JSON.stringify({ id: 'm4', event: 'new_order', data: { order_id: 'm4' } }));
    await deliver(t.url, newOrderEvent({ orderId: 'x' }), { secret: 'wrong' });
    await deliver(t.url, newOrderEvent({ orderId: 'x' }), { path: '/webhooks/shop', secret: 'wrong' });
    await admin(t.url, 'PUT', '/inventory/A', { on_hand: 10, low_stock_threshold: 9 });

    const res = await fetch(`${t.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const page = await res.text();
    const deliveries = (labels: string) => sample(page, `shelfsync_webhook_deliveries_total{${labels}}`);
    expect(deliveries('source="default",event_type="new_order",outcome="processed"')).toBe(1);
    expect(deliveries('source="default",event_type="new_order",outcome="duplicate"')).toBe(1);
    expect(deliveries('source="default",event_type="order_fulfilled",outcome="deferred"')).toBe(1);
    expect(deliveries('source="default",event_type="other",outcome="ignored"')).toBe(1);
    expect(deliveries('source="shop",event_type="unparsed",outcome="invalid"')).toBe(1);
    expect(deliveries('source="default",event_type="new_order",outcome="invalid"')).toBe(1);
    expect(sample(page, 'shelfsync_webhook_signature_failures_total{source="default"}')).toBe(1);
    expect(sample(page, 'shelfsync_webhook_signature_failures_total{source="shop"}')).toBe(1);
    expect(sample(page, 'shelfsync_webhook_processing_seconds_count{outcome="processed"}')).toBe(1);
    expect(sample(page, 'shelfsync_deferred_events')).toBe(1);
    expect(sample(page, 'shelfsync_low_stock_skus')).toBe(1);
    expect(sample(page, 'shelfsync_db_pool_connections{state="waiting"}')).toBe(0);
    expect(sample(page, 'shelfsync_db_pool_connections{state="idle"}')).toBeGreaterThanOrEqual(1);
    expect(page).toMatch(/^shelfsync_process_resident_memory_bytes \d+/m);
  });

  it('needs no token', async () => {
    expect((await fetch(`${t.url}/metrics`)).status).toBe(200);
  });
});
