import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export type VerificationResult = { ok: true } | { ok: false; reason: string };

export interface SignatureClock {
  nowSeconds: number;
  /** Largest age or future skew of a signed timestamp (WEBHOOK_TOLERANCE_SECONDS). */
  toleranceSeconds: number;
}

/**
 * One way a gateway signs its deliveries: always HMAC-SHA256 over content
 * built from the exact raw bytes, compared in constant time.
 */
export interface SignatureScheme {
  readonly name: string;
  /** Headers that carry the signature (for error messages and the API docs). */
  readonly headers: readonly string[];
  /**
   * Whether the signature covers the event id. Then the id alone decides what
   * is a duplicate; otherwise the bytes do too, so that a captured delivery
   * resent under a new unsigned id cannot pass for a new event.
   */
  readonly signsEventId: boolean;
  /** The HMAC key a configured secret stands for; throws with a reason when the secret cannot be one. */
  keyOf(secret: string): Buffer;
  /** Any of `keys` verifies the delivery (rotation). */
  verify(rawBody: Buffer, headers: IncomingHttpHeaders, keys: readonly Buffer[], clock: SignatureClock): VerificationResult;
  /** The headers a sender adds, for the sender CLI and tests. */
  sign(rawBody: Buffer, key: Buffer, options: { nowSeconds: number; id: string }): Record<string, string>;
}

export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Constant-time equality of two digests; different lengths are simply unequal. */
export function sameDigest(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** True when `digest` equals any of `candidates`; every candidate is compared, whatever matches first. */
export function matchesAny(digests: readonly Buffer[], candidates: readonly Buffer[]): boolean {
  let matched = false;
  for (const digest of digests) for (const candidate of candidates) if (sameDigest(digest, candidate)) matched = true;
  return matched;
}

/** A unix timestamp header within the tolerance, or the reason it is not. */
export function checkTimestamp(value: string | undefined, header: string, clock: SignatureClock): { seconds: number } | { reason: string } {
  if (value === undefined || value === '') return { reason: `missing ${header}` };
  if (!/^\d{1,12}$/.test(value)) return { reason: `${header} is not a unix timestamp` };
  const seconds = Number(value);
  if (clock.nowSeconds - seconds > clock.toleranceSeconds) {
    return { reason: `${header} is older than ${clock.toleranceSeconds} s` };
  }
  if (seconds - clock.nowSeconds > clock.toleranceSeconds) {
    return { reason: `${header} is more than ${clock.toleranceSeconds} s in the future` };
  }
  return { seconds };
}
