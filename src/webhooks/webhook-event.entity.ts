import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type WebhookEventStatus = 'processed' | 'ignored' | 'deferred' | 'failed';

/** One verified delivery, kept whatever its outcome (see migrations/ for the schema). */
@Entity({ name: 'webhook_events' })
export class WebhookEvent {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'text' })
  source: string;

  @Column({ name: 'event_id', type: 'text' })
  eventId: string;

  @Column({ name: 'event_type', type: 'text' })
  eventType: string;

  @Column({ name: 'order_id', type: 'text', nullable: true })
  orderId: string | null;

  @Column({ type: 'text' })
  status: WebhookEventStatus;

  @Column({ type: 'text', nullable: true })
  reason: string | null;

  @Column({ type: 'jsonb' })
  headers: Record<string, string>;

  @Column({ name: 'raw_body', type: 'bytea' })
  rawBody: Buffer;

  @Column({ type: 'integer' })
  attempts: number;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  @Column({ name: 'received_at', type: 'timestamptz' })
  receivedAt: Date;

  @Column({ name: 'processed_at', type: 'timestamptz', nullable: true })
  processedAt: Date | null;
}
