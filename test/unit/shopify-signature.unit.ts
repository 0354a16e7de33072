import { describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { SCHEMES } from '../../src/webhooks/signature/schemes.js';
import { shopifyFixture } from '../support/shopify.js';

/**
 * The shopify scheme against Shopify's published recipe, computed here with
 * node:crypto alone: base64 of HMAC-SHA256 over the raw body, keyed with the
 * app's client secret as given (shopify.dev, "Verify webhook deliveries").
 */
const scheme = SCHEMES.shopify;
const clock = { nowSeconds: 1_764_000_000, toleranceSeconds: 300 };
const SECRET = 'shpss_client_secret_of_the_app';
const OTHER = 'shpss_rotated_client_secret';
const BODY = shopifyFixture('orders-create.json');
const TAMPERED = Buffer.from(BODY.toString().replace('"total_price": "199.00"', '"total_price": "1.00"'));
const recipe = (body: Buffer, secret: string, encoding: 'base64' | 'hex' = 'base64') => createHmac('sha256', secret).update(body).digest(encoding);
const verify = (body: Buffer, signature: string | undefined, secrets: string[]) =>
  scheme.verify(body, signature === undefined ? {} : { 'x-shopify-hmac-sha256': signature }, secrets.map((s) => scheme.keyOf(s)), clock);

describe('the shopify signature scheme (x-shopify-hmac-sha256)', () => {
  it('is the scheme a shopify provider implies, reading x-shopify-hmac-sha256', () => {
    expect(scheme.name).toBe('shopify');
    expect(scheme.headers).toEqual(['x-shopify-hmac-sha256']);
    // Headers are not signed: the bytes, not the event id, decide what is a duplicate.
    expect(scheme.signsEventId).toBe(false);
  });

  it.each<[string, Buffer, string | undefined, string[], unknown]>([
    ['verifies the base64 HMAC of the exact bytes', BODY, recipe(BODY, SECRET), [SECRET], { ok: true }],
    ['refuses a tampered body', TAMPERED, recipe(BODY, SECRET), [SECRET], { ok: false, reason: 'signature does not match' }],
    ['refuses one byte more (a trailing newline)', Buffer.concat([BODY, Buffer.from('\n')]), recipe(BODY, SECRET), [SECRET], { ok: false, reason: 'signature does not match' }],
    ['refuses a signature made with another secret', BODY, recipe(BODY, OTHER), [SECRET], { ok: false, reason: 'signature does not match' }],
    [
      'refuses hex where base64 is due, saying so',
      BODY,
      recipe(BODY, SECRET, 'hex'),
      [SECRET],
      { ok: false, reason: 'x-shopify-hmac-sha256 is not a base64 HMAC-SHA256 (it is hex; this gateway signs in base64)' },
    ],
    ['refuses a missing header', BODY, undefined, [SECRET], { ok: false, reason: 'missing x-shopify-hmac-sha256 header' }],
    ['rotation: verifies with the old secret beside the new one', BODY, recipe(BODY, SECRET), [OTHER, SECRET], { ok: true }],
    ['rotation: verifies with the new secret beside the old one', BODY, recipe(BODY, OTHER), [OTHER, SECRET], { ok: true }],
    ['rotation: refuses when neither secret made it', BODY, recipe(BODY, 'a-third-secret'), [OTHER, SECRET], { ok: false, reason: 'signature does not match' }],
  ])('%s', (_what, body, signature, secrets, verdict) => {
    expect(verify(body, signature, secrets)).toEqual(verdict);
  });

  it('signs what the recipe signs (the sender CLI and the e2e tests rely on it)', () => {
    expect(scheme.sign(BODY, scheme.keyOf(SECRET), { nowSeconds: clock.nowSeconds, id: 'x' })).toEqual({ 'x-shopify-hmac-sha256': recipe(BODY, SECRET) });
  });
});
