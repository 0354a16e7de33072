import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

const DIR = new URL('../fixtures/gateways/shopify/', import.meta.url);

/** A Shopify fixture's exact bytes (never parsed and re-serialised). */
export function shopifyFixture(name: string): Buffer {
  return readFileSync(new URL(name, DIR));
}

/**
 * A fixture's bytes with textual edits, each replacing the first occurrence
 * of its `from` (which must be there, so that an edit never silently misses).
 * Only fields that must name the test's order or line are edited this way.
 */
export function editedShopifyFixture(name: string, edits: [from: string, to: string][]): Buffer {
  let text = shopifyFixture(name).toString('utf8');
  for (const [from, to] of edits) {
    if (!text.includes(from)) throw new Error(`fixture ${name} has no ${from}`);
    text = text.replace(from, to);
  }
  return Buffer.from(text, 'utf8');
}

/** Shopify's signature header: base64 of HMAC-SHA256 over the exact bytes, keyed with the secret as given. */
export function shopifyHmac(body: Buffer, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('base64');
}
