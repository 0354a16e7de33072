import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation, Unique } from 'typeorm';
import { NotificationEndpoint } from './notification-endpoint.entity.js';
import { NOTIFICATION_STATUSES, type NotificationStatus } from './notification-status.js';

/**
 * One message of the outbox to one endpoint (notifications), written by
 * notify.sql in the transaction that makes the change it tells of, and
 * claimed and recorded by the sender's SQL (outbox-sender.ts).
 */
@Entity({ name: 'notifications' })
@Unique('notifications_message_id_key', ['messageId'])
@Check('notifications_attempts_check', `attempts >= 0`)
@Index('notifications_due_idx', ['nextAttemptAt'], { where: `status = 'pending'` })
@Index('notifications_endpoint_idx', ['endpointId', 'id'])
export class Notification {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'endpoint_id', type: 'uuid' })
  endpointId: string;

  /** The webhook-id header: the same for every attempt of this message. */
  @Column({ name: 'message_id', type: 'text' })
  messageId: string;

  @Column({ name: 'event_type', type: 'text' })
  eventType: string;

  /** The exact bytes sent, so that every attempt signs and sends the same body. */
  @Column({ type: 'text' })
  body: string;

  @Column({ type: 'enum', enum: NOTIFICATION_STATUSES, enumName: 'notification_status', default: 'pending' })
  status: NotificationStatus;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ name: 'next_attempt_at', type: 'timestamptz', default: () => 'now()' })
  nextAttemptAt: Date;

  @Column({ name: 'last_status_code', type: 'integer', nullable: true })
  lastStatusCode: number | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true })
  deliveredAt: Date | null;

  // Deleting an endpoint deletes its messages.
  @ManyToOne(() => NotificationEndpoint, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'endpoint_id', foreignKeyConstraintName: 'notifications_endpoint_id_fkey' })
  endpoint: Relation<NotificationEndpoint>;
}
