import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { count, resetDatabase } from '../support/database.js';
import { metricsPage, sampleOf } from '../support/metrics.js';
import { ADMIN_TOKEN, admin, deliver, newOrderEvent, startTestApp, type TestApp } from '../support/test-app.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = 'test-artifacts';
/** Nothing listens on the discard port: every attempt is refused at once. */
const CLOSED_URL = 'http://127.0.0.1:9/hooks';

async function settled(t: TestApp, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while ((await count(t.db, 'notifications', `status = 'pending'`)) > 0) {
    if (Date.now() > until) throw new Error('messages still pending');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe("the console's endpoints and notifications pages in a browser", () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let endpointId: string;
  let secret: string;
  const shot = (name: string) => page.screenshot({ path: `${ARTIFACTS}/console-${name}.png`, fullPage: true });

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    // one retry 300ms after the first attempt, then failed
    t = await startTestApp({ NOTIFY_ALLOW_PRIVATE_NETWORKS: 'true', NOTIFY_RETRY_SCHEDULE: '300ms', NOTIFY_TIMEOUT: '1s' });
    // row by row (messages go with their endpoint): a TRUNCATE's locks could deadlock with the running sender
    await t.db.query(`DELETE FROM notification_endpoints`);
    await resetDatabase(t.db);
    const created = await admin(t.url, 'POST', '/notification-endpoints', { url: CLOSED_URL, description: 'storefront (down)' });
    expect(created.status).toBe(201);
    endpointId = created.body.id as string;
    secret = created.body.secret as string;
    expect(secret).toMatch(/^whsec_/);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.db.query(`DELETE FROM notification_endpoints`);
    await t?.close();
  });

  it('logs in and follows the nav to the endpoints, which show the API-made endpoint and no secret', async () => {
    await page.goto(`${t.url}/console`);
    await page.fill('#token', ADMIN_TOKEN);
    await page.click('button[type=submit]');
    await page.waitForSelector('#deliveries');
    await page.click('header a:has-text("Endpoints")');
    await page.waitForSelector('#endpoints');
    expect(new URL(page.url()).pathname).toBe('/console/endpoints');
    const row = page.locator(`tr[data-endpoint-id="${endpointId}"]`);
    expect(await row.locator('.url').textContent()).toBe(CLOSED_URL);
    expect(await row.locator('td.status').textContent()).toContain('enabled');
    expect(await row.textContent()).toContain('storefront (down)');
    const text = await page.content();
    expect(text).not.toContain('whsec_');
    expect(text).not.toContain(secret.slice('whsec_'.length));
    await shot('endpoints');
  });

  it('goes from the endpoint to its messages, finds a failed one, retries it and sees it pending again', async () => {
    await deliver(t.url, newOrderEvent({ id: 'n-7', orderId: '7' }));
    await settled(t);

    await page.goto(`${t.url}/console/endpoints`);
    await page.locator(`tr[data-endpoint-id="${endpointId}"] a.messages`).click();
    await page.waitForSelector('#notifications');
    expect(new URL(page.url()).searchParams.get('endpoint_id')).toBe(endpointId);
    const row = page.locator('#notifications tbody tr').first();
    expect(await page.locator('#notifications tbody tr').count()).toBe(1);
    expect(await row.locator('.status').textContent()).toBe('failed');
    expect(await row.locator('.attempts').textContent()).toBe('2');
    expect(await row.locator('.last-status-code').textContent()).toBe('');
    expect(await row.locator('.last-error').textContent()).toMatch(/ECONNREFUSED/);
    expect(await row.textContent()).toContain('order.status_changed');
    const id = await row.getAttribute('data-id');
    await shot('notifications-failed');

    await row.locator('button:has-text("Retry")').click();
    await page.waitForSelector('.flash');
    expect(await page.textContent('.flash')).toContain(`Notification ${id} is pending again and goes now.`);
    expect(new URL(page.url()).searchParams.get('endpoint_id')).toBe(endpointId);
    const after = page.locator(`#notifications tr[data-id="${id}"]`);
    // retry starts the schedule over: pending, its attempts counted from 0 (the first may already have gone)
    expect(await after.locator('.status').textContent()).toBe('pending');
    expect(Number(await after.locator('.attempts').textContent())).toBeLessThan(2);
    expect(await after.locator('button:has-text("Retry")').count()).toBe(0);
    await shot('notifications-retried');

    // and it really was sent again: once the schedule has run out it is failed a second time
    const failedBefore = sampleOf(await metricsPage(t.url), 'shelfsync_notification_attempts_total{outcome="failed"}');
    await settled(t);
    await page.reload();
    expect(await after.locator('.status').textContent()).toBe('failed');
    expect(await after.locator('.attempts').textContent()).toBe('2');
    expect(sampleOf(await metricsPage(t.url), 'shelfsync_notification_attempts_total{outcome="failed"}')).toBe(failedBefore + 1);
  });
});
