import { Injectable } from '@nestjs/common';
import { AppError } from '../common/app-error.js';
import { decodeCursor, DEFAULT_PAGE_SIZE, ID_KEY, type Page, toPage } from '../common/pagination.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import type { WebhookEventStatus } from './webhook-event-status.js';
import { type WebhookEventDetailRow, type WebhookEventRow, WebhookEventStore } from './webhook-event.store.js';

/** A stored delivery as the API shows it: the row, with times as ISO strings. */
export type WebhookEventView = Omit<WebhookEventRow, 'id' | 'received_at' | 'processed_at'> & {
  id: string;
  received_at: string;
  processed_at: string | null;
};

export interface WebhookEventDetailView extends WebhookEventView {
  headers: Record<string, string>;
  /** The bytes as received, as UTF-8 text (they were verified to be UTF-8 JSON). */
  raw_body: string;
}

export function toEventView(row: WebhookEventRow): WebhookEventView {
  return {
    id: String(row.id),
    source: row.source,
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

export function toEventDetailView(row: WebhookEventDetailRow): WebhookEventDetailView {
  return { ...toEventView(row), headers: row.headers, raw_body: row.raw_body.toString('utf8') };
}

/** What an operator sees of received deliveries. */
@Injectable()
export class WebhookEventsService {
  constructor(
    private readonly events: WebhookEventStore,
    private readonly transactions: TransactionRunner,
  ) {}

  async list(
    query: { status?: WebhookEventStatus; eventType?: string; source?: string; sinceMinutes?: number; cursor?: string; limit?: number },
  ): Promise<Page<WebhookEventView>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const [afterId] = (decodeCursor(query.cursor, [ID_KEY]) ?? []) as [string?];
    const rows = await this.transactions.run((em) => this.events.list(em, { ...query, afterId, limit: limit + 1 }));
    return toPage(rows, limit, (row) => [String(row.id)], toEventView);
  }

  async countPerMinute(minutes: number) {
    return this.transactions.run((em) => this.events.countPerMinute(em, minutes));
  }

  async get(id: string): Promise<WebhookEventDetailView> {
    const row = await this.transactions.run((em) => this.events.find(em, id));
    if (!row) throw AppError.notFound(`no webhook event ${id}`);
    return toEventDetailView(row);
  }
}
