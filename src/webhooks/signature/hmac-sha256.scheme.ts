import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { headerValue, type SignatureScheme, type VerificationResult } from './signature-scheme.js';

const HEX_SHA256 = /^[0-9a-f]{64}$/i;

/** `x-signature: <hex>` (or `sha256=<hex>`): HMAC-SHA256 of the raw body with the secret as given. */
export class HmacSha256Scheme implements SignatureScheme {
  readonly name = 'hmac-sha256';
  readonly headers = ['x-signature'] as const;

  verify(rawBody: Buffer, headers: IncomingHttpHeaders, secrets: readonly string[]): VerificationResult {
    const header = headerValue(headers, 'x-signature')?.trim();
    if (!header) return { ok: false, reason: 'missing x-signature header' };
    const hex = header.toLowerCase().startsWith('sha256=') ? header.slice('sha256='.length) : header;
    if (!HEX_SHA256.test(hex)) return { ok: false, reason: 'x-signature is not a hex HMAC-SHA256' };
    const given = Buffer.from(hex, 'hex');
    // Every secret is tried, so timing does not tell which one (if any) is current.
    let matched = false;
    for (const secret of secrets) {
      const expected = createHmac('sha256', secret).update(rawBody).digest();
      if (timingSafeEqual(expected, given)) matched = true;
    }
    return matched ? { ok: true } : { ok: false, reason: 'signature does not match' };
  }
}
