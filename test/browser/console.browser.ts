import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { resetDatabase, seedStock, failInserts } from '../support/database.js';
import { ADMIN_TOKEN, deliver, newOrderEvent, startTestApp, type TestApp } from '../support/test-app.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = 'test-artifacts';

describe('the console in a browser', () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  const shot = (name: string) => page.screenshot({ path: `${ARTIFACTS}/console-${name}.png`, fullPage: true });

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    t = await startTestApp();
    await resetDatabase(t.db);
    await seedStock(t.db, { 'SKU-1': 10, 'SKU-2': 2 });
    await t.db.query(`UPDATE stock SET low_stock_threshold = 3`);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  });
  afterAll(async () => {
    await browser?.close();
    await t.close();
  });

  it('logs in with the admin token, which never appears in a URL', async () => {
    await page.goto(`${t.url}/console`);
    expect(new URL(page.url()).pathname).toBe('/console/login');
    await page.fill('#token', 'wrong');
    await page.click('button[type=submit]');
    expect(await page.textContent('.flash')).toContain('That is not the admin token.');
    await page.fill('#token', ADMIN_TOKEN);
    await page.click('button[type=submit]');
    await page.waitForSelector('#deliveries');
    expect(page.url()).not.toContain(ADMIN_TOKEN);
  });

  it('finds a failed delivery, replays it once the fault is gone, and shows its new status', async () => {
    await deliver(t.url, newOrderEvent({ id: 'new-42', orderId: '42', items: [{ sku: 'SKU-1', quantity: 2 }] }));
    const repair = await failInserts(t.db, {
      name: 'fail_paid',
      table: 'order_status_history',
      when: `NEW.to_status = 'paid'`,
      message: 'the payments table is locked for maintenance',
    });
    expect((await deliver(t.url, JSON.stringify({ id: 'pay-42', event: 'payment_succeeded', data: { order_id: 42 } }))).status).toBe(500);

    await page.goto(`${t.url}/console/deliveries`);
    await page.selectOption('#status', 'failed');
    await page.click('form.filters button[type=submit]');
    const row = page.locator('tr[data-event-id="pay-42"]');
    expect(await row.count()).toBe(1);
    await shot('deliveries-failed');
    await row.locator('a').first().click();
    await page.waitForSelector('#delivery');
    expect(await page.textContent('#status')).toContain('failed');
    expect(await page.textContent('#last-error')).toContain('locked for maintenance');

    await repair();
    await page.click('#replay');
    await page.waitForSelector('.flash');
    expect(await page.textContent('.flash')).toContain('Replayed: the delivery is now processed.');
    expect(await page.textContent('#status')).toContain('processed');
    expect(await page.textContent('#attempts')).toBe('2');
    await shot('delivery-replayed');
  });

  it('shows the order as a timeline', async () => {
    await page.goto(`${t.url}/console/orders`);
    await page.fill('#order_id', '42');
    await page.click('form[action="/console/orders/find"] button');
    await page.waitForSelector('#history');
    const timeline = await page.textContent('#history');
    expect(timeline).toContain('created → pending');
    expect(timeline).toContain('pending → paid');
    await shot('order');
  });

  it('highlights low stock and adjusts a count, the table changing with it', async () => {
    await page.goto(`${t.url}/console/inventory`);
    const low = page.locator('tr[data-sku="SKU-2"]');
    expect(await low.getAttribute('class')).toBe('low');
    const row = page.locator('tr[data-sku="SKU-1"]');
    expect(await row.locator('.on-hand').textContent()).toBe('10');
    expect(await row.locator('.available').textContent()).toBe('8');
    await row.locator('input[name=delta]').fill('5');
    await row.locator('input[name=reason]').fill('recount after delivery');
    await row.locator('button[type=submit]').click();
    await page.waitForSelector('.flash');
    expect(await page.textContent('.flash')).toContain('SKU-1: adjusted, now 15 on hand.');
    expect(await page.locator('tr[data-sku="SKU-1"] .on-hand').textContent()).toBe('15');
    expect(await page.locator('tr[data-sku="SKU-1"] .available').textContent()).toBe('13');
    await shot('inventory');
  });

  it('draws the last hour of deliveries per minute', async () => {
    await page.goto(`${t.url}/console/deliveries`);
    const bars = await page.locator('#chart rect title').allTextContents();
    expect(bars).toEqual(expect.arrayContaining([expect.stringMatching(/^\d+ processed$/)]));
    await shot('deliveries');
  });
});
