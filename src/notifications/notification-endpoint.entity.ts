import { Check, Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { ENDPOINT_STATUSES, type EndpointStatus } from './endpoint-status.js';
import type { NotificationEventType } from './event-types.js';

/** An endpoint the storefront registered (notification_endpoints), secrets included: never answered as it is. */
@Entity({ name: 'notification_endpoints' })
@Check('notification_endpoints_url_check', `length(url) BETWEEN 1 AND 2048`)
@Check('notification_endpoints_description_check', `length(description) <= 500`)
export class NotificationEndpoint {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  url: string;

  /** null: every event type. */
  @Column({ type: 'text', array: true, nullable: true })
  events: NotificationEventType[] | null;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  @Column({ type: 'enum', enum: ENDPOINT_STATUSES, enumName: 'notification_endpoint_status', default: 'enabled' })
  status: EndpointStatus;

  /** Why it was disabled (a 410, an operator), kept until it is enabled again. */
  @Column({ name: 'status_reason', type: 'text', nullable: true })
  statusReason: string | null;

  /** whsec_<base64>: the current signing secret. */
  @Column({ type: 'text' })
  secret: string;

  /** The secret it replaced, which keeps signing until previous_secret_until. */
  @Column({ name: 'previous_secret', type: 'text', nullable: true })
  previousSecret: string | null;

  @Column({ name: 'previous_secret_until', type: 'timestamptz', nullable: true })
  previousSecretUntil: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  /** Set by TypeORM on every change it writes (and by the sender's SQL when a 410 disables it). */
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;
}
