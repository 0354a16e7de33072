import { Check, Column, Entity, ForeignKey, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { Order } from './order.entity.js';

/**
 * Something about an order that needs a person: raised with its reason and
 * the delivery that caused it, open until an operator resolves it with a
 * note, then kept as the order's attention history. orders.needs_attention
 * is true exactly while the order has an open one.
 */
@Entity({ name: 'order_attention' })
@Check('order_attention_reason_check', `length(reason) BETWEEN 1 AND 200`)
@Check('order_attention_note_check', `length(note) BETWEEN 1 AND 1000`)
@Check('order_attention_resolution_check', `(resolved_at IS NULL) = (note IS NULL)`)
@Index('order_attention_raise_key', ['orderSource', 'orderId', 'webhookEventId', 'reason'], { unique: true })
export class OrderAttentionItem {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'order_source', type: 'text' })
  orderSource: string;

  @Column({ name: 'order_id', type: 'text' })
  orderId: string;

  @Column({ type: 'text' })
  reason: string;

  // Named, not imported: orders/ knows nothing of webhooks/.
  @Column({ name: 'webhook_event_id', type: 'bigint', nullable: true })
  @ForeignKey('WebhookEvent', { name: 'order_attention_webhook_event_id_fkey' })
  webhookEventId: string | null;

  @Column({ name: 'raised_at', type: 'timestamptz', default: () => 'now()' })
  raisedAt: Date;

  /** null while open. */
  @Column({ name: 'resolved_at', type: 'timestamptz', nullable: true })
  resolvedAt: Date | null;

  /** The operator's word on how it was resolved; null while open. */
  @Column({ type: 'text', nullable: true })
  note: string | null;

  @ManyToOne(() => Order, (order) => order.attention)
  @JoinColumn([
    { name: 'order_source', referencedColumnName: 'source', foreignKeyConstraintName: 'order_attention_order_fkey' },
    { name: 'order_id', referencedColumnName: 'orderId', foreignKeyConstraintName: 'order_attention_order_fkey' },
  ])
  order: Relation<Order>;
}
