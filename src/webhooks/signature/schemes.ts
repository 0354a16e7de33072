import { SHOPIFY_HEADERS, WOOCOMMERCE_HEADERS } from '../providers/gateway-headers.js';
import { Base64HmacScheme } from './base64-hmac.scheme.js';
import { HmacSha256Scheme } from './hmac-sha256.scheme.js';
import type { SignatureScheme } from './signature-scheme.js';
import { StandardWebhooksScheme } from './standard-webhooks.scheme.js';
import { StripeScheme } from './stripe.scheme.js';

const BY_NAME = {
  'hmac-sha256': new HmacSha256Scheme(),
  'standard-webhooks': new StandardWebhooksScheme(),
  stripe: new StripeScheme(),
  shopify: new Base64HmacScheme('shopify', SHOPIFY_HEADERS.signature),
  woocommerce: new Base64HmacScheme('woocommerce', WOOCOMMERCE_HEADERS.signature),
} satisfies Record<string, SignatureScheme>;

export type SignatureSchemeName = keyof typeof BY_NAME;

/** Every scheme a source may name (WEBHOOK_[<NAME>_]SCHEME), by that name. */
export const SCHEMES: Readonly<Record<SignatureSchemeName, SignatureScheme>> = BY_NAME;

export const SIGNATURE_SCHEMES = Object.keys(SCHEMES) as SignatureSchemeName[];
