import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** WooCommerce's own samples (test/fixtures/gateways/README.md, "WooCommerce"), as bytes. */
export const WOO_FIXTURES = {
  created: 'order.created.processing.json',
  updated: 'order.updated.completed.json',
} as const;

export function wooFixtureBytes(name: string): Buffer {
  return readFileSync(join(import.meta.dirname, '..', 'fixtures', 'gateways', 'woocommerce', name));
}

/** What a test may change in a copy of a sample: only the fields that name its order, status or change time. */
export interface WooEdits {
  /** The top-level order `id`, written as given (digits stay a JSON number, anything else a string). */
  id?: string;
  status?: string;
  dateModifiedGmt?: string;
  /** When the order was paid, and completed (shipped), as WooCommerce keeps them (null: not yet). */
  datePaidGmt?: string | null;
  dateCompletedGmt?: string | null;
  /** The first line's `"sku": ""` (the docs' product without a SKU), for the rule that adds up lines of one SKU. */
  firstLineSku?: string | null;
  /** The second line's (`"sku": "Bar3"`, one unit) SKU and quantity: an order of the test's SKU, the first line left without one. */
  skuLine?: { sku: string; quantity: number };
}

/** Replaces one top-level member of the pretty-printed sample; fails when it is not there exactly once. */
function replaceOnce(text: string, member: RegExp, to: string): string {
  const found = text.match(new RegExp(member.source, 'g')) ?? [];
  if (found.length !== 1) throw new Error(`fixture member ${member.source} is there ${found.length} times, not once`);
  return text.replace(member, to);
}

/**
 * A copy of a sample with the edits made token for token on its text (never
 * through JSON.parse), so every other byte stays WooCommerce's.
 */
export function wooOrderBody(name: string, given: WooEdits = {}): Buffer {
  let text = wooFixtureBytes(name).toString('utf8');
  // An order of another status keeps the dates that status implies (unless the test gives them).
  const edits = given.status === undefined ? given : { ...datesOf(given.status), ...given };
  if (edits.id !== undefined) {
    const id = /^\d+$/.test(edits.id) ? edits.id : JSON.stringify(edits.id);
    text = replaceOnce(text, /\n {2}"id": 727,/, `\n  "id": ${id},`);
  }
  if (edits.status !== undefined) {
    text = replaceOnce(text, /\n {2}"status": "[a-z-]+",/, `\n  "status": ${JSON.stringify(edits.status)},`);
  }
  if (edits.dateModifiedGmt !== undefined) {
    text = replaceOnce(text, /\n {2}"date_modified_gmt": "[^"]*",/, `\n  "date_modified_gmt": ${JSON.stringify(edits.dateModifiedGmt)},`);
  }
  if (edits.datePaidGmt !== undefined) {
    text = replaceOnce(text, /\n {2}"date_paid_gmt": (null|"[^"]*"),/, `\n  "date_paid_gmt": ${JSON.stringify(edits.datePaidGmt)},`);
  }
  if (edits.dateCompletedGmt !== undefined) {
    text = replaceOnce(text, /\n {2}"date_completed_gmt": (null|"[^"]*"),/, `\n  "date_completed_gmt": ${JSON.stringify(edits.dateCompletedGmt)},`);
  }
  if (edits.firstLineSku !== undefined) {
    text = replaceOnce(text, /\n {6}"sku": "",/, `\n      "sku": ${JSON.stringify(edits.firstLineSku)},`);
  }
  if (edits.skuLine !== undefined) {
    text = replaceOnce(text, /\n {6}"variation_id": 23,\n {6}"quantity": 1,/, `\n      "variation_id": 23,\n      "quantity": ${edits.skuLine.quantity},`);
    text = replaceOnce(text, /\n {6}"sku": "Bar3",/, `\n      "sku": ${JSON.stringify(edits.skuLine.sku)},`);
  }
  return Buffer.from(text, 'utf8');
}

/** When the sample order was paid and completed (`date_paid_gmt`, `date_completed_gmt`). */
const SAMPLE_PAID = '2017-03-22T19:28:08';
const SAMPLE_COMPLETED = '2017-03-22T19:30:35';

/**
 * The dates an order of `status` keeps, as WooCommerce sets them: paid once
 * processing, completed (or refunded, which only a paid order is); completed
 * only once completed. A refunded order that was completed before is the
 * test's to say (dateCompletedGmt).
 */
function datesOf(status: string): Pick<WooEdits, 'datePaidGmt' | 'dateCompletedGmt'> {
  const paid = status === 'processing' || status === 'completed' || status === 'refunded';
  return { datePaidGmt: paid ? SAMPLE_PAID : null, dateCompletedGmt: status === 'completed' ? SAMPLE_COMPLETED : null };
}

/** WooCommerce's signature: base64 of HMAC-SHA256 over the exact body (class-wc-webhook.php, generate_signature()). */
export function wooSignature(body: Buffer | string, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('base64');
}

/** The headers WooCommerce sends with a delivery (class-wc-webhook.php, deliver()), signed with `secret`. */
export function wooHeaders(
  topic: string,
  body: Buffer,
  secret: string,
  options: { deliveryId?: string; webhookId?: string } = {},
): Record<string, string> {
  const [resource, event] = topic.split('.');
  return {
    'content-type': 'application/json',
    'user-agent': 'WooCommerce/9.8.0 Hookshot (WordPress/6.8.1)',
    'x-wc-webhook-source': 'https://shop.example/',
    'x-wc-webhook-topic': topic,
    'x-wc-webhook-resource': resource,
    'x-wc-webhook-event': event ?? '',
    'x-wc-webhook-signature': wooSignature(body, secret),
    'x-wc-webhook-id': options.webhookId ?? '12',
    'x-wc-webhook-delivery-id': options.deliveryId ?? 'c6b4a1f0e3d2c1b0a9f8e7d6c5b4a3f2',
  };
}
