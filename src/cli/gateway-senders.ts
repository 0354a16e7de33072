import { randomUUID } from 'node:crypto';
import * as losslessJson from 'lossless-json';
import { SHOPIFY_HEADERS, WOOCOMMERCE_HEADERS } from '../webhooks/providers/gateway-headers.js';

/**
 * How each gateway sends a delivery, for `npm run send --provider <name>`:
 * the headers it adds besides its signature, and what it writes into the
 * body itself (Stripe puts the event's id and type there). The signature is
 * the source's scheme's (SCHEMES[...].sign).
 */
export interface GatewaySender {
  /** The body as the gateway would send it, and the headers it adds (not the signature). */
  prepare(body: Record<string, unknown>, eventType: string, eventId: string): { body: Record<string, unknown>; headers: Record<string, string> };
}

export const GATEWAY_SENDERS: Record<string, GatewaySender> = {
  stripe: {
    // The event's id and type are the body's own fields; Stripe adds no header but its signature.
    prepare: (body, type, id) => ({ body: { ...body, id, object: 'event', type }, headers: {} }),
  },
  shopify: {
    prepare: (body, topic, id) => ({
      body,
      headers: {
        [SHOPIFY_HEADERS.topic]: topic,
        [SHOPIFY_HEADERS.eventId]: id,
        [SHOPIFY_HEADERS.webhookId]: randomUUID(),
        'x-shopify-triggered-at': new Date().toISOString(),
        'x-shopify-shop-domain': 'shelfsync-send.myshopify.com',
      },
    }),
  },
  woocommerce: {
    prepare: (body, topic, id) => {
      const [resource = '', event = ''] = topic.split('.');
      return {
        body,
        headers: {
          [WOOCOMMERCE_HEADERS.topic]: topic,
          'x-wc-webhook-resource': resource,
          'x-wc-webhook-event': event,
          'x-wc-webhook-source': 'https://shelfsync-send.example/',
          'x-wc-webhook-id': '1',
          // WooCommerce hashes the webhook id and the current second; any value serves here.
          'x-wc-webhook-delivery-id': id,
        },
      };
    },
  },
};

/** JSON text to a value, every number kept as written (a 64-bit id survives an edit). */
export function parseExact(text: string): unknown {
  return losslessJson.parse(text);
}

export function stringifyExact(value: unknown): string {
  return losslessJson.stringify(value) ?? 'null';
}

/**
 * `--set path=value` on a body: `path` is dot-separated keys (array indexes
 * as numbers: `line_items.0.sku`), `value` JSON if it reads as JSON (numbers
 * kept as written), else a string. Missing objects on the path are created.
 */
export function setPath(body: Record<string, unknown>, assignment: string): void {
  const equals = assignment.indexOf('=');
  if (equals <= 0) throw new Error(`--set ${assignment}: write it as path=value`);
  const keys = assignment.slice(0, equals).split('.');
  const text = assignment.slice(equals + 1);
  let value: unknown;
  try {
    value = parseExact(text);
  } catch {
    value = text;
  }
  let target = body;
  for (const key of keys.slice(0, -1)) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') throw new Error(`--set ${assignment}: "${key}" is not a field`);
    const next = target[key];
    if (typeof next !== 'object' || next === null) target[key] = {};
    target = target[key] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1];
  if (last === '__proto__' || last === 'constructor' || last === 'prototype') throw new Error(`--set ${assignment}: "${last}" is not a field`);
  target[last] = value;
}
