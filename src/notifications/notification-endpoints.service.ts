import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppError } from '../common/app-error.js';
import { decodeCursor, DEFAULT_PAGE_SIZE, ID_KEY, type Page, toPage, UUID } from '../common/pagination.js';
import { AppConfig } from '../config/app-config.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { DISABLED_BY_OPERATOR, type EndpointStatus } from './endpoint-status.js';
import { NOTIFICATION_EVENT_TYPES, type NotificationEventType } from './event-types.js';
import type { NotificationEndpoint } from './notification-endpoint.entity.js';
import { type EndpointChanges, NotificationEndpointsRepository } from './notification-endpoints.repository.js';
import { checkEndpointUrl } from './url-guard.js';

/** An endpoint as the API answers it: never a secret. */
export interface EndpointView {
  id: string;
  url: string;
  /** The event types it is sent: the full list when it takes every one (stored as NULL). */
  events: NotificationEventType[];
  description: string | null;
  status: EndpointStatus;
  status_reason: string | null;
  created_at: string;
  updated_at: string;
}

/** The answer to POST /notification-endpoints: the endpoint and, this once, its secret. */
export type CreatedEndpointView = EndpointView & { secret: string };

/** Random bytes of a new secret: 24, as Standard Webhooks' own libraries make them (the key is at least 16). */
const SECRET_BYTES = 24;

/** A new signing secret, `whsec_` and the base64 of 24 random bytes. */
export function newEndpointSecret(): string {
  return `whsec_${randomBytes(SECRET_BYTES).toString('base64')}`;
}

/** An endpoint id from a path: a UUID, else a 400 naming `id` (never a query error). */
export function endpointId(value: string): string {
  if (!UUID.test(value)) throw AppError.invalid([{ field: 'id', message: 'id must be a UUID' }]);
  return value.toLowerCase();
}

export function toEndpointView(endpoint: NotificationEndpoint): EndpointView {
  return {
    id: endpoint.id,
    url: endpoint.url,
    events: endpoint.events ?? [...NOTIFICATION_EVENT_TYPES],
    description: endpoint.description,
    status: endpoint.status,
    status_reason: endpoint.statusReason,
    created_at: endpoint.createdAt.toISOString(),
    updated_at: endpoint.updatedAt.toISOString(),
  };
}

/** Keeps each event type once, in the order given. */
function distinct(events: NotificationEventType[] | null | undefined): NotificationEventType[] | null | undefined {
  return events ? [...new Set(events)] : events;
}

/** How long a rotated-out secret keeps signing beside the new one: its expiry is stored with it, and signing_secrets.sql signs with it until then. */
const PREVIOUS_SECRET_HOURS = 24;

@Injectable()
export class NotificationEndpointsService {
  constructor(
    private readonly config: AppConfig,
    private readonly transactions: TransactionRunner,
    private readonly endpoints: NotificationEndpointsRepository,
  ) {}

  async create(body: { url: string; events?: NotificationEventType[] | null; description?: string | null }): Promise<CreatedEndpointView> {
    const url = await this.checkUrl(body.url);
    const secret = newEndpointSecret();
    const row = await this.transactions.run((em) =>
      this.endpoints.insert(em, { url, events: distinct(body.events) ?? null, description: body.description ?? null, secret }),
    );
    return { ...toEndpointView(row), secret };
  }

  async list(query: { cursor?: string; limit?: number }): Promise<Page<EndpointView>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const before = decodeCursor(query.cursor, [ID_KEY, UUID]) as [string, string] | undefined;
    const rows = await this.transactions.run((em) => this.endpoints.list(em, { before, limit: limit + 1 }));
    return toPage(rows, limit, (row) => [row.position, row.endpoint.id], (row) => toEndpointView(row.endpoint));
  }

  async get(id: string): Promise<EndpointView> {
    const row = await this.transactions.run((em) => this.endpoints.find(em, endpointId(id)));
    if (!row) throw this.unknown(id);
    return toEndpointView(row);
  }

  async update(id: string, changes: EndpointChanges): Promise<EndpointView> {
    const key = endpointId(id);
    const url = changes.url === undefined ? undefined : await this.checkUrl(changes.url);
    const row = await this.transactions.run((em) =>
      this.endpoints.update(em, key, { ...changes, url, events: distinct(changes.events) }, DISABLED_BY_OPERATOR),
    );
    if (!row) throw this.unknown(id);
    return toEndpointView(row);
  }

  async delete(id: string): Promise<void> {
    const key = endpointId(id);
    if (!(await this.transactions.run((em) => this.endpoints.delete(em, key)))) throw this.unknown(id);
  }

  /** A new secret; the old one keeps signing beside it for 24 hours (database clock). */
  async rotateSecret(id: string): Promise<{ secret: string }> {
    const key = endpointId(id);
    const secret = newEndpointSecret();
    const rotated = await this.transactions.run((em) => this.endpoints.rotateSecret(em, key, secret, PREVIOUS_SECRET_HOURS));
    if (!rotated) throw this.unknown(id);
    return { secret };
  }

  /**
   * The URL as stored (WHATWG-normalised: what the sender will parse), or a
   * 400 naming `url` and why the guard refused it; nothing is stored then.
   */
  private async checkUrl(url: string): Promise<string> {
    const check = await checkEndpointUrl(url, this.config.notifyAllowPrivateNetworks);
    if (!check.ok) throw AppError.invalid([{ field: 'url', message: check.reason }]);
    if (check.url.href.length > 2048) throw AppError.invalid([{ field: 'url', message: 'url must be at most 2048 characters' }]);
    return check.url.href;
  }

  private unknown(id: string): AppError {
    return AppError.notFound(`no notification endpoint "${id}"`);
  }
}
