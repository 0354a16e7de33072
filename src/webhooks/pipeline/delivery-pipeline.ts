import { Injectable } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import { type IdentifiedDelivery, readDelivery } from '../providers/provider.js';
import { Providers } from '../providers/providers.js';
import type { VerifiedDelivery } from '../signature/signature.guard.js';
import { ApplyDeliveries } from './apply-deliveries.js';
import type { DeliveryResult, PendingDelivery } from './delivery.js';
import type { DeliveryOutcome } from '../../metrics/metrics.service.js';
import { DeliveryLog, outcomeOfError } from './delivery-log.js';
import { GroupCommit } from './group-commit.js';

/**
 * The path of one delivery, stage by stage:
 *   verify (SignatureGuard, before this: raw bytes + headers, or 401)
 *   -> read (the source's provider: native bytes to a domain command, or 400)
 *   -> apply (one transaction: ApplyDeliveries alone, or shared through GroupCommit)
 *   -> answer and log (DeliveryLog), after the commit.
 */
@Injectable()
export class DeliveryPipeline {
  constructor(
    private readonly providers: Providers,
    private readonly apply: ApplyDeliveries,
    private readonly groupCommit: GroupCommit,
    private readonly log: DeliveryLog,
  ) {}

  async receive(delivery: VerifiedDelivery, headers: IncomingHttpHeaders, requestId?: string): Promise<DeliveryResult> {
    const started = performance.now();
    const source = delivery.source.name;
    const provider = this.providers.forSource(source);
    let identified: IdentifiedDelivery | undefined;
    const record = (outcome: DeliveryOutcome) =>
      this.log.record({ source, provider, identified, outcome, seconds: (performance.now() - started) / 1000, requestId });
    try {
      identified = provider.identify(delivery.rawBody, headers);
      const pending: PendingDelivery = {
        source,
        idIsSigned: delivery.idIsSigned,
        bytesPerType: provider.bytesPerType === true,
        headers,
        rawBody: delivery.rawBody,
        read: readDelivery(provider, identified),
      };
      const result = await (this.groupCommit.takes(pending) ? this.groupCommit.push(pending) : this.apply.alone(pending));
      record(result.status);
      return result;
    } catch (error) {
      record(outcomeOfError(error));
      throw error;
    }
  }
}
