import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { AppConfig, DEFAULT_SOURCE, type WebhookSource } from '../../config/app-config.js';
import { AppError } from '../../common/app-error.js';
import { SCHEMES } from './schemes.js';

/** What the guard hands on to the controller: a delivery whose bytes are proven to come from `source`. */
export interface VerifiedDelivery {
  source: WebhookSource;
  rawBody: Buffer;
}

export type WebhookRequest = Request & { verifiedDelivery?: VerifiedDelivery };

/**
 * Checks the signature over the raw request bytes before anything of the body
 * is parsed. Unknown source: 404. Missing or wrong signature: 401.
 */
@Injectable()
export class SignatureGuard implements CanActivate {
  constructor(private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<WebhookRequest>();
    const named = typeof request.params.source === 'string' ? request.params.source.toLowerCase() : undefined;
    // `default` is only reachable as POST /webhooks, so that each source has one address.
    const source = named === DEFAULT_SOURCE ? undefined : this.config.sources.get(named ?? DEFAULT_SOURCE);
    if (!source) throw new AppError(404, 'unknown_source', `no webhook source named "${named}"`);

    const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const nowSeconds = Math.floor(Date.now() / 1000);
    const reasons: string[] = [];
    for (const schemeName of source.schemes) {
      const result = SCHEMES[schemeName].verify(rawBody, request.headers, source.secrets, nowSeconds);
      if (result.ok) {
        request.verifiedDelivery = { source, rawBody };
        return true;
      }
      reasons.push(source.schemes.length > 1 ? `${schemeName}: ${result.reason}` : result.reason);
    }
    throw new AppError(401, 'invalid_signature', `signature verification failed: ${reasons.join('; ')}`);
  }
}
