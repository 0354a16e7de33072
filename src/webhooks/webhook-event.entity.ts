import { Check, Column, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { DELIVERY_STATUSES, type DeliveryStatus } from './delivery-status.js';

/**
 * A verified delivery in the event log (webhook_events). Written and read
 * with SQL (webhook-event.store.ts, claim_deliveries.sql); the entity is the
 * schema as TypeORM sees it, and the target of the ledger's and history's
 * foreign keys.
 */
@Entity({ name: 'webhook_events' })
@Unique('webhook_events_source_event_id_key', ['source', 'eventId'])
@Check('webhook_events_attempts_check', `attempts >= 1`)
@Index('webhook_events_status_idx', ['status', 'id'])
@Index('webhook_events_order_id_idx', ['orderId'], { where: 'order_id IS NOT NULL' })
// The same bytes from one source are one event (unless the event id is signed: claim_deliveries.sql).
@Index('webhook_events_source_body_key', ['source', 'bodySha256'], { unique: true })
@Index('webhook_events_received_at_idx', ['receivedAt'])
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

  @Column({ type: 'enum', enum: DELIVERY_STATUSES, enumName: 'delivery_status' })
  status: DeliveryStatus;

  @Column({ type: 'text', nullable: true })
  reason: string | null;

  @Column({ type: 'jsonb' })
  headers: Record<string, string>;

  @Column({ name: 'raw_body', type: 'bytea' })
  rawBody: Buffer;

  /** null: a delivery whose bytes another one of its source already holds (kept before the digest was unique). */
  @Column({ name: 'body_sha256', type: 'bytea', nullable: true })
  bodySha256: Buffer | null;

  @Column({ type: 'integer', default: 1 })
  attempts: number;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  @Column({ name: 'received_at', type: 'timestamptz', default: () => 'now()' })
  receivedAt: Date;

  @Column({ name: 'processed_at', type: 'timestamptz', nullable: true })
  processedAt: Date | null;
}
