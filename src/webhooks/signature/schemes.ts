import type { SignatureSchemeName } from '../../config/app-config.js';
import { HmacSha256Scheme } from './hmac-sha256.scheme.js';
import type { SignatureScheme } from './signature-scheme.js';

export const SCHEMES: Record<SignatureSchemeName, SignatureScheme> = {
  'hmac-sha256': new HmacSha256Scheme(),
};
