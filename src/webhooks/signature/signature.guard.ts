import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { clientAddressOf, type HttpRequest, plainAddress } from '../../http/http.js';
import { AppConfig } from '../../config/app-config.js';
import { DEFAULT_SOURCE, type WebhookSource, WebhookSources } from '../webhook-sources.js';
import { AppError } from '../../common/app-error.js';
import { MetricsService } from '../../metrics/metrics.service.js';
import { Providers } from '../providers/providers.js';
import { SCHEMES, type SignatureSchemeName } from './schemes.js';

/** What the guard hands on to the controller: a delivery whose bytes are proven to come from `source`. */
export interface VerifiedDelivery {
  source: WebhookSource;
  rawBody: Buffer;
  /** The scheme that verified it. */
  scheme: SignatureSchemeName;
  /** Whether that scheme signs the event id (then the id alone decides what is a duplicate). */
  idIsSigned: boolean;
}

export type WebhookRequest = HttpRequest & {
  verifiedDelivery?: VerifiedDelivery;
  /**
   * Set instead of verifiedDelivery for a delivery the source's provider
   * acknowledges unsigned (WooCommerce's ping): answered 200, never stored.
   */
  acknowledgedUnverified?: { source: string; reason: string };
};

/**
 * Checks a delivery before anything of its body is parsed: the source exists
 * (404), the sender's address is allowed (403), and one of the source's
 * schemes verifies the signature over the raw bytes with one of its secrets (401),
 * unless the source's provider acknowledges that unsigned delivery by design
 * (Provider.acknowledgesUnverified: WooCommerce's ping), which is let through
 * as `acknowledgedUnverified` for the controller to answer, never to be stored.
 */
@Injectable()
export class SignatureGuard implements CanActivate {
  private readonly toleranceSeconds: number;

  constructor(
    config: AppConfig,
    private readonly sources: WebhookSources,
    private readonly metrics: MetricsService,
    private readonly providers: Providers,
  ) {
    this.toleranceSeconds = config.toleranceSeconds;
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<WebhookRequest>();
    const named = typeof (request.params as { source?: unknown }).source === 'string' ? (request.params as { source: string }).source.toLowerCase() : undefined;
    // `default` is only reachable as POST /webhooks, so that each source has one address.
    const source = named === DEFAULT_SOURCE ? undefined : this.sources.get(named ?? DEFAULT_SOURCE);
    if (!source) throw new AppError(404, 'unknown_source', `no webhook source named "${named}"`);

    if (source.allowedIps) {
      const client = plainAddress(clientAddressOf(request));
      if (!source.allowedIps.allows(client)) throw new AppError(403, 'forbidden', `address ${client} may not deliver to this source`);
    }

    const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const clock = { nowSeconds: Math.floor(Date.now() / 1000), toleranceSeconds: this.toleranceSeconds };
    const reasons: string[] = [];
    for (const [name, keys] of source.keys) {
      const result = SCHEMES[name].verify(rawBody, request.headers, keys, clock);
      if (result.ok) {
        request.verifiedDelivery = { source, rawBody, scheme: name, idIsSigned: SCHEMES[name].signsEventId };
        return true;
      }
      reasons.push(source.keys.length > 1 ? `${name}: ${result.reason}` : result.reason);
    }
    // A delivery the gateway sends unsigned by design (WooCommerce's ping): acknowledged, nothing more.
    if (this.providers.forSource(source.name).acknowledgesUnverified?.(rawBody, request.headers)) {
      request.acknowledgedUnverified = { source: source.name, reason: 'ping' };
      return true;
    }
    this.metrics.recordSignatureFailure(source.name);
    throw new AppError(401, 'invalid_signature', `signature verification failed: ${reasons.join('; ')}`);
  }
}
