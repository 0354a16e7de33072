import { createHmac } from 'node:crypto';
import { whsecKey } from '../../common/whsec-secret.js';
import type { IncomingHttpHeaders } from 'node:http';
import {
  checkTimestamp,
  headerValue,
  matchesAny,
  type SignatureClock,
  type SignatureScheme,
  type VerificationResult,
} from './signature-scheme.js';

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** `webhook-<name>`, or Svix's `svix-<name>`. */
export function standardHeader(headers: IncomingHttpHeaders, name: 'id' | 'timestamp' | 'signature'): string | undefined {
  return headerValue(headers, `webhook-${name}`) ?? headerValue(headers, `svix-${name}`);
}

/**
 * Standard Webhooks (standardwebhooks.com): `webhook-id`, `webhook-timestamp`
 * and `webhook-signature: v1,<base64> [v1,<base64> ...]` over
 * `{id}.{timestamp}.{body}`, keyed with the base64-decoded `whsec_` secret.
 * Svix, which defined the standard, sends the same headers named `svix-*`
 * unless told otherwise; they are read too.
 */
export class StandardWebhooksScheme implements SignatureScheme {
  readonly name = 'standard-webhooks';
  readonly headers = ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const;
  readonly signsEventId = true;

  keyOf(secret: string): Buffer {
    return whsecKey(secret);
  }

  verify(rawBody: Buffer, headers: IncomingHttpHeaders, keys: readonly Buffer[], clock: SignatureClock): VerificationResult {
    const id = standardHeader(headers, 'id');
    const signatures = standardHeader(headers, 'signature');
    if (!id) return { ok: false, reason: 'missing webhook-id header' };
    if (!signatures) return { ok: false, reason: 'missing webhook-signature header' };
    const timestamp = checkTimestamp(standardHeader(headers, 'timestamp'), 'webhook-timestamp', clock);
    if ('reason' in timestamp) return { ok: false, reason: timestamp.reason };

    // Space-separated `version,signature` pairs; versions other than v1 are skipped.
    const given = signatures
      .split(' ')
      .map((entry) => entry.split(','))
      .filter(([version, value]) => version === 'v1' && value !== undefined && BASE64.test(value))
      .map(([, value]) => Buffer.from(value, 'base64'));
    if (given.length === 0) return { ok: false, reason: 'webhook-signature has no v1 signature' };

    const expected = keys.map((key) => this.digest(key, id, timestamp.seconds, rawBody));
    return matchesAny(expected, given) ? { ok: true } : { ok: false, reason: 'signature does not match' };
  }

  sign(rawBody: Buffer, key: Buffer, options: { nowSeconds: number; id: string }): Record<string, string> {
    return {
      'webhook-id': options.id,
      'webhook-timestamp': String(options.nowSeconds),
      'webhook-signature': `v1,${this.digest(key, options.id, options.nowSeconds, rawBody).toString('base64')}`,
    };
  }

  private digest(key: Buffer, id: string, timestamp: number, rawBody: Buffer): Buffer {
    return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(rawBody).digest();
  }
}
