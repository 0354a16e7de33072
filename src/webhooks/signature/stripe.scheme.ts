import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import {
  checkTimestamp,
  headerValue,
  matchesAny,
  type SignatureClock,
  type SignatureScheme,
  type VerificationResult,
} from './signature-scheme.js';

const HEX_SHA256 = /^[0-9a-f]{64}$/i;

/**
 * Stripe: `stripe-signature: t=<unix>,v1=<hex>[,v1=<hex>...]` over `{t}.{body}`,
 * keyed with the secret exactly as given (`whsec_...` included). `v0` (Stripe's
 * test-mode scheme) is never accepted.
 */
export class StripeScheme implements SignatureScheme {
  readonly name = 'stripe';
  readonly headers = ['stripe-signature'] as const;
  readonly signsEventId = false;

  keyOf(secret: string): Buffer {
    return Buffer.from(secret, 'utf8');
  }

  verify(rawBody: Buffer, headers: IncomingHttpHeaders, keys: readonly Buffer[], clock: SignatureClock): VerificationResult {
    const header = headerValue(headers, 'stripe-signature');
    if (!header) return { ok: false, reason: 'missing stripe-signature header' };
    const pairs = header.split(',').map((pair) => {
      const at = pair.indexOf('=');
      return at === -1 ? ['', ''] : [pair.slice(0, at).trim(), pair.slice(at + 1).trim()];
    });
    const timestamp = checkTimestamp(
      pairs.find(([name]) => name === 't')?.[1],
      'stripe-signature timestamp (t)',
      clock,
    );
    if ('reason' in timestamp) return { ok: false, reason: timestamp.reason };
    const given = pairs
      .filter(([name, value]) => name === 'v1' && HEX_SHA256.test(value))
      .map(([, value]) => Buffer.from(value, 'hex'));
    if (given.length === 0) return { ok: false, reason: 'stripe-signature has no v1 signature' };

    const expected = keys.map((key) => this.digest(key, timestamp.seconds, rawBody));
    return matchesAny(expected, given) ? { ok: true } : { ok: false, reason: 'signature does not match' };
  }

  sign(rawBody: Buffer, key: Buffer, options: { nowSeconds: number }): Record<string, string> {
    return { 'stripe-signature': `t=${options.nowSeconds},v1=${this.digest(key, options.nowSeconds, rawBody).toString('hex')}` };
  }

  private digest(key: Buffer, timestamp: number, rawBody: Buffer): Buffer {
    return createHmac('sha256', key).update(`${timestamp}.`).update(rawBody).digest();
  }
}
