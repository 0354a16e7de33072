import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { headerValue, matchesAny, type SignatureScheme, type VerificationResult } from './signature-scheme.js';

const HEX_SHA256 = /^[0-9a-f]{64}$/i;

/** `x-signature: <hex>` (or `sha256=<hex>`): HMAC-SHA256 of the raw body, the secret used as given. */
export class HmacSha256Scheme implements SignatureScheme {
  readonly name = 'hmac-sha256';
  readonly headers = ['x-signature'] as const;
  readonly signsEventId = false;

  keyOf(secret: string): Buffer {
    return Buffer.from(secret, 'utf8');
  }

  verify(rawBody: Buffer, headers: IncomingHttpHeaders, keys: readonly Buffer[]): VerificationResult {
    const header = headerValue(headers, 'x-signature')?.trim();
    if (!header) return { ok: false, reason: 'missing x-signature header' };
    const hex = header.toLowerCase().startsWith('sha256=') ? header.slice('sha256='.length) : header;
    if (!HEX_SHA256.test(hex)) return { ok: false, reason: 'x-signature is not a hex HMAC-SHA256' };
    const expected = keys.map((key) => createHmac('sha256', key).update(rawBody).digest());
    return matchesAny(expected, [Buffer.from(hex, 'hex')]) ? { ok: true } : { ok: false, reason: 'signature does not match' };
  }

  sign(rawBody: Buffer, key: Buffer): Record<string, string> {
    return { 'x-signature': `sha256=${createHmac('sha256', key).update(rawBody).digest('hex')}` };
  }
}
