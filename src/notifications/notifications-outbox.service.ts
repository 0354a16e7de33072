import { Injectable } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { AppError } from '../common/app-error.js';
import { DEFAULT_PAGE_SIZE, decodeCursor, ID_KEY, type Page, PageQueryDto, toPage } from '../common/pagination.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { NOTIFICATION_STATUSES } from './notification-status.js';

export class ListNotificationsQuery extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'endpoint_id must be a UUID' })
  endpoint_id?: string;

  @ApiPropertyOptional({ enum: NOTIFICATION_STATUSES })
  @IsOptional()
  @IsIn(NOTIFICATION_STATUSES, { message: `status must be one of ${NOTIFICATION_STATUSES.join(', ')}` })
  status?: (typeof NOTIFICATION_STATUSES)[number];

  @ApiPropertyOptional({ example: 'order.status_changed' })
  @IsOptional()
  @IsString({ message: 'event_type must be a string' })
  @MaxLength(100, { message: 'event_type must be at most 100 characters' })
  event_type?: string;
}

interface NotificationRow {
  id: string;
  endpoint_id: string;
  event_type: string;
  status: string;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: Date;
  created_at: Date;
  delivered_at: Date | null;
}

/** A message as the API and the console show it: the row, with times as ISO strings (a next attempt only while pending). */
export type NotificationView = Omit<NotificationRow, 'next_attempt_at' | 'created_at' | 'delivered_at'> & {
  next_attempt_at: string | null;
  created_at: string;
  delivered_at: string | null;
};

/**
 * The columns as they are (node-postgres reads a bigint and a uuid as strings):
 * an alias such as `id::text AS id` would be what `ORDER BY id` sorts by, as
 * text (9 before 43), and the numeric cursor would then skip rows.
 */
const COLUMNS = `id, endpoint_id, event_type, status, attempts, last_status_code, last_error, next_attempt_at, created_at, delivered_at`;

function view(row: NotificationRow): NotificationView {
  return {
    ...row,
    // only a pending message has a next attempt
    next_attempt_at: row.status === 'pending' ? row.next_attempt_at.toISOString() : null,
    created_at: row.created_at.toISOString(),
    delivered_at: row.delivered_at ? row.delivered_at.toISOString() : null,
  };
}

/** The outbox as the management API and the console see it. */
@Injectable()
export class NotificationsOutboxService {
  constructor(private readonly transactions: TransactionRunner) {}

  async list(query: ListNotificationsQuery): Promise<Page<NotificationView>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const after = decodeCursor(query.cursor, [ID_KEY]);
    const rows = await this.transactions.query<NotificationRow[]>(
      `SELECT ${COLUMNS} FROM notifications
        WHERE ($1::uuid IS NULL OR endpoint_id = $1::uuid)
          AND ($2::notification_status IS NULL OR status = $2::notification_status)
          AND ($3::text IS NULL OR event_type = $3::text)
          AND ($4::bigint IS NULL OR id < $4::bigint)
        ORDER BY id DESC LIMIT $5`,
      [query.endpoint_id ?? null, query.status ?? null, query.event_type ?? null, after?.[0] ?? null, limit + 1],
    );
    return toPage(rows, limit, (row) => [row.id], view);
  }

  /** A failed message pending again, due now, its attempts counted afresh; 404 unknown, 409 not failed. */
  async retry(id: string): Promise<NotificationView> {
    const [row] = await this.transactions.query<NotificationRow[]>(
      `UPDATE notifications SET status = 'pending', attempts = 0, next_attempt_at = now()
        WHERE id = $1::bigint AND status = 'failed' RETURNING ${COLUMNS}`,
      [id],
    );
    if (row) return view(row);
    const [existing] = await this.transactions.query<{ status: string }[]>(`SELECT status FROM notifications WHERE id = $1::bigint`, [id]);
    if (!existing) throw AppError.notFound(`no notification ${id}`);
    throw AppError.conflict(`notification ${id} is ${existing.status}, not failed: only a failed message is sent again`);
  }
}
