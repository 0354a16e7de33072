import type { IncomingHttpHeaders } from 'node:http';

export type VerificationResult = { ok: true } | { ok: false; reason: string };

/** One way a gateway signs its deliveries. Always over the exact raw bytes, compared in constant time. */
export interface SignatureScheme {
  readonly name: string;
  /** Headers that carry the signature (for error messages and docs). */
  readonly headers: readonly string[];
  verify(rawBody: Buffer, headers: IncomingHttpHeaders, secrets: readonly string[], nowSeconds: number): VerificationResult;
}

export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
