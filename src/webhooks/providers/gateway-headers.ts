/**
 * The headers the gateways name and sign their deliveries in: read by their
 * providers and schemes, written by `npm run send` (which must not load the
 * domain to know them).
 */
export const SHOPIFY_HEADERS = {
  topic: 'x-shopify-topic',
  eventId: 'x-shopify-event-id',
  webhookId: 'x-shopify-webhook-id',
  signature: 'x-shopify-hmac-sha256',
} as const;

export const WOOCOMMERCE_HEADERS = {
  topic: 'x-wc-webhook-topic',
  signature: 'x-wc-webhook-signature',
} as const;
