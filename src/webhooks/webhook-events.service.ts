import { Injectable } from '@nestjs/common';
import { AppError } from '../common/app-error.js';
import { decodeCursor, DEFAULT_PAGE_SIZE, ID_KEY, type Page, toPage } from '../common/pagination.js';
import { isTransientDatabaseError } from '../database/pg-errors.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { type DeliveryStatus, isReplayable } from './delivery-status.js';
import { ApplyDeliveries } from './pipeline/apply-deliveries.js';
import { type Provider, type ReadDelivery, readStored } from './providers/provider.js';
import { Providers } from './providers/providers.js';
import { type WebhookEventDetailRow, type WebhookEventRow, WebhookEventStore } from './webhook-event.store.js';

/** A stored delivery as the API shows it: the row, with times as ISO strings, and what its source speaks. */
export type WebhookEventView = Omit<WebhookEventRow, 'id' | 'received_at' | 'processed_at'> & {
  id: string;
  /** The source's provider (shelfsync, stripe, shopify, woocommerce): it reads the stored body, and a replay. */
  provider: string;
  received_at: string;
  processed_at: string | null;
};

export interface WebhookEventDetailView extends WebhookEventView {
  headers: Record<string, string>;
  /** The bytes as received, as UTF-8 text (they were verified to be UTF-8). */
  raw_body: string;
  /**
   * What the delivery became in the domain, in the order applied: `new_order`,
   * a lifecycle event (`payment_succeeded`...), `return_units`; empty when it
   * asks nothing; null when the stored body no longer reads.
   */
  became: string[] | null;
}

/** The domain's name of each command a delivery became. */
export function commandNames(read: ReadDelivery): string[] {
  return read.commands.map((c) => (c.kind === 'create_order' ? 'new_order' : c.kind === 'lifecycle' ? c.event : c.kind));
}

export function toEventView(row: WebhookEventRow, provider: string): WebhookEventView {
  return {
    id: String(row.id),
    source: row.source,
    provider,
    event_id: row.event_id,
    event_type: row.event_type,
    order_id: row.order_id,
    status: row.status,
    reason: row.reason,
    attempts: row.attempts,
    last_error: row.last_error,
    received_at: new Date(row.received_at).toISOString(),
    processed_at: row.processed_at ? new Date(row.processed_at).toISOString() : null,
  };
}

export function toEventDetailView(row: WebhookEventDetailRow, provider: Provider): WebhookEventDetailView {
  let became: string[] | null;
  try {
    became = commandNames(readStored(provider, row.raw_body, row.headers));
  } catch {
    became = null;
  }
  return { ...toEventView(row, provider.name), headers: row.headers, raw_body: row.raw_body.toString('utf8'), became };
}

/** The event log as an operator sees it: received deliveries, and their replay. */
@Injectable()
export class WebhookEventsService {
  constructor(
    private readonly events: WebhookEventStore,
    private readonly transactions: TransactionRunner,
    private readonly providers: Providers,
    private readonly apply: ApplyDeliveries,
  ) {}

  async list(
    query: { status?: DeliveryStatus; eventType?: string; source?: string; sinceMinutes?: number; cursor?: string; limit?: number },
  ): Promise<Page<WebhookEventView>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const [afterId] = (decodeCursor(query.cursor, [ID_KEY]) ?? []) as [string?];
    const rows = await this.transactions.run((em) => this.events.list(em, { ...query, afterId, limit: limit + 1 }));
    return toPage(rows, limit, (row) => [String(row.id)], (row) => toEventView(row, this.providers.forSource(row.source).name));
  }

  async countPerMinute(minutes: number) {
    return this.transactions.run((em) => this.events.countPerMinute(em, minutes));
  }

  async get(id: string): Promise<WebhookEventDetailView> {
    const row = await this.transactions.run((em) => this.events.find(em, id));
    if (!row) throw AppError.notFound(`no webhook event ${id}`);
    return toEventDetailView(row, this.providers.forSource(row.source));
  }

  /**
   * POST /webhook-events/:id/replay: applies a failed or ignored delivery
   * again, as if it had just arrived, through the same apply stage. A replay
   * that fails leaves the event `failed` with the new error; either way the
   * answer is the event as it now is.
   */
  async replay(id: string): Promise<WebhookEventView> {
    try {
      return await this.transactions.run(async (em) => {
        const stored = await this.events.find(em, id, { lock: true });
        if (!stored) throw AppError.notFound(`no webhook event ${id}`);
        if (!isReplayable(stored.status)) {
          throw AppError.conflict(`only failed or ignored events can be replayed; event ${id} is ${stored.status}`);
        }
        const read = await this.apply.findOrder(em, stored.source, readStored(this.providers.forSource(stored.source), stored.raw_body, stored.headers));
        await this.events.claimForReplay(em, id, read.orderId);
        await this.apply.applyClaimed(em, [{ recordId: id, source: stored.source, read, orderAwaited: undefined }]);
        return this.view((await this.events.find(em, id))!);
      });
    } catch (error) {
      // 404 and 409 are about the request; a stored body that no longer reads (400) is this attempt failing.
      if (error instanceof AppError && error.status !== 400) throw error;
      if (isTransientDatabaseError(error)) throw AppError.databaseUnavailable();
      await this.transactions.run((em) => this.events.recordFailed(em, { recordId: id, newAttempt: true }, error));
      return this.transactions.run(async (em) => this.view((await this.events.find(em, id))!));
    }
  }

  private view(row: WebhookEventRow): WebhookEventView {
    return toEventView(row, this.providers.forSource(row.source).name);
  }
}
