import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { headerValue, matchesAny, type SignatureScheme, type VerificationResult } from './signature-scheme.js';

/** 32 bytes in base64: 43 characters and one `=`. */
const BASE64_SHA256 = /^[A-Za-z0-9+/]{43}=$/;
const HEX_SHA256 = /^[0-9a-f]{64}$/i;

/**
 * One header holding the base64 of HMAC-SHA256 over the raw body, keyed with
 * the secret as given: how Shopify (`x-shopify-hmac-sha256`) and WooCommerce
 * (`x-wc-webhook-signature`) sign. Nothing else is signed: not the headers,
 * not a time, so the bytes decide what is a duplicate.
 */
export class Base64HmacScheme implements SignatureScheme {
  readonly headers: readonly string[];
  readonly signsEventId = false;

  constructor(
    readonly name: string,
    private readonly header: string,
  ) {
    this.headers = [header];
  }

  keyOf(secret: string): Buffer {
    return Buffer.from(secret, 'utf8');
  }

  verify(rawBody: Buffer, headers: IncomingHttpHeaders, keys: readonly Buffer[]): VerificationResult {
    const value = headerValue(headers, this.header)?.trim();
    if (!value) return { ok: false, reason: `missing ${this.header} header` };
    if (!BASE64_SHA256.test(value)) {
      const hex = HEX_SHA256.test(value) ? ' (it is hex; this gateway signs in base64)' : '';
      return { ok: false, reason: `${this.header} is not a base64 HMAC-SHA256${hex}` };
    }
    const expected = keys.map((key) => createHmac('sha256', key).update(rawBody).digest());
    return matchesAny(expected, [Buffer.from(value, 'base64')]) ? { ok: true } : { ok: false, reason: 'signature does not match' };
  }

  sign(rawBody: Buffer, key: Buffer): Record<string, string> {
    return { [this.header]: createHmac('sha256', key).update(rawBody).digest('base64') };
  }
}
