import { SHOPIFY_HEADERS, WOOCOMMERCE_HEADERS } from '../providers/gateway-headers.js';
import type { SignatureSchemeName } from '../../config/app-config.js';
import { Base64HmacScheme } from './base64-hmac.scheme.js';
import { HmacSha256Scheme } from './hmac-sha256.scheme.js';
import type { SignatureScheme } from './signature-scheme.js';
import { StandardWebhooksScheme } from './standard-webhooks.scheme.js';
import { StripeScheme } from './stripe.scheme.js';

export const SCHEMES: Record<SignatureSchemeName, SignatureScheme> = {
  'hmac-sha256': new HmacSha256Scheme(),
  'standard-webhooks': new StandardWebhooksScheme(),
  stripe: new StripeScheme(),
  shopify: new Base64HmacScheme('shopify', SHOPIFY_HEADERS.signature),
  woocommerce: new Base64HmacScheme('woocommerce', WOOCOMMERCE_HEADERS.signature),
};
