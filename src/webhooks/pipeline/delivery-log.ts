import { Inject, Injectable } from '@nestjs/common';
import type { Logger as PinoLogger } from 'pino';
import { AppError } from '../../common/app-error.js';
import { PINO_LOGGER } from '../../logging/logging.module.js';
import { type DeliveryOutcome, MetricsService } from '../../metrics/metrics.service.js';
import type { IdentifiedDelivery, Provider } from '../providers/provider.js';

/** What a delivery came to when it was not answered 200: the status its error gives. */
export function outcomeOfError(error: unknown): DeliveryOutcome {
  const status = error instanceof AppError ? error.status : 500;
  return status === 503 ? 'unavailable' : status < 500 ? 'invalid' : 'failed';
}

/**
 * The "answer and log" stage's record of a delivery: one log line (what it
 * was and what became of it, never its body) and its metrics.
 */
@Injectable()
export class DeliveryLog {
  constructor(
    private readonly metrics: MetricsService,
    @Inject(PINO_LOGGER) private readonly log: PinoLogger,
  ) {}

  record(entry: {
    source: string;
    provider: Provider;
    /** undefined: refused before it could be named. */
    identified?: IdentifiedDelivery;
    outcome: DeliveryOutcome;
    seconds: number;
    requestId?: string;
  }): void {
    const { source, identified, outcome, seconds } = entry;
    this.metrics.recordDelivery(source, typeLabel(entry.provider, identified), outcome, seconds);
    const level = outcome === 'failed' ? 'error' : outcome === 'invalid' || outcome === 'unavailable' ? 'warn' : 'info';
    this.log[level](
      {
        request_id: entry.requestId,
        source,
        event_id: identified?.eventId,
        event_type: identified?.eventType,
        outcome,
        duration_ms: Math.round(seconds * 10_000) / 10,
      },
      'delivery',
    );
  }
}

/** Event types label metrics only when the service understands them, so a sender cannot add label values at will. */
function typeLabel(provider: Provider, identified: IdentifiedDelivery | undefined): string {
  if (identified === undefined) return 'unparsed';
  return provider.understands(identified.eventType) ? identified.eventType : 'other';
}
