import { beforeEach, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { resetDatabase, seedStock, stockOf } from './support/database.js';
import { admin, useTestApp, WEBHOOK_SECRET } from './support/test-app.js';

const run = promisify(execFile);
const SOURCES = {
  WEBHOOK_SECRET,
  WEBHOOK_SW_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  WEBHOOK_SW_SCHEME: 'standard-webhooks',
  WEBHOOK_GATEWAY_SECRET: 'whsec_gateway',
  WEBHOOK_GATEWAY_SCHEME: 'stripe',
};

/** `npm run send -- ...` without the build step: the built CLI, with the same variables as the service. */
async function send(url: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [resolve('dist/src/cli/send.js'), ...args, '--url', url], {
      env: { PATH: process.env.PATH, ...SOURCES },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('npm run send', () => {
  const t = useTestApp(SOURCES);
  beforeEach(async () => {
    await resetDatabase(t.db);
    await seedStock(t.db, { 'SKU-1': 5 });
  });

  it.each([
    ['the default source (hmac-sha256)', []],
    ['a Standard Webhooks source', ['--source', 'sw']],
    ['a Stripe source', ['--source', 'gateway']],
  ])('signs and posts a new_order and its payment to %s, printing the answers', async (_name, source) => {
    const created = await send(t.url, ['new_order', '--order-id', '42', '--sku', 'SKU-1:2', '--total', '19.5', ...source]);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^POST http:\/\/127\.0\.0\.1:\d+\/webhooks/);
    expect(created.stdout).toMatch(/200 \{"event_id":"evt_[0-9a-f-]+","status":"processed","order_status":"pending"\}/);
    const paid = await send(t.url, ['payment_succeeded', '--order-id', '42', ...source]);
    expect(paid.stdout).toContain('"order_status":"paid"');
    expect(await stockOf(t.db, 'SKU-1')).toEqual({ on_hand: 5, reserved: 2 });
    expect((await admin(t.url, 'GET', '/orders/42')).body).toMatchObject({ status: 'paid', total_amount: 19.5 });
  });

  it('sends the same event id again when told to, and the service drops it', async () => {
    await send(t.url, ['new_order', '--order-id', '7', '--id', 'evt_fixed']);
    const again = await send(t.url, ['new_order', '--order-id', '7', '--id', 'evt_fixed']);
    expect(again.stdout).toContain('{"event_id":"evt_fixed","status":"duplicate"}');
  });

  it('exits 1 and prints the refusal when the service refuses', async () => {
    const refused = await send(t.url, ['new_order', '--order-id', '9', '--secret', 'not-the-secret']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('401 {"statusCode":401,"error":"invalid_signature"');
  });

  it('explains its usage when arguments are missing', async () => {
    const missing = await send(t.url, ['new_order']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--order-id is required');
    expect(missing.stderr).toContain('usage: npm run send');
  });
});
