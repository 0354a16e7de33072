import { Column, Entity, ForeignKey, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { Order } from './order.entity.js';
import { ORDER_STATUSES, type OrderStatus } from './order-status.js';

/** One row per change of an order's status, with the delivery that caused it. */
@Entity({ name: 'order_status_history' })
@Index('order_status_history_order_idx', ['orderSource', 'orderId', 'id'])
export class OrderStatusHistory {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'order_source', type: 'text' })
  orderSource: string;

  @Column({ name: 'order_id', type: 'text' })
  orderId: string;

  /** null: the row of the order's creation. */
  @Column({ name: 'from_status', type: 'enum', enum: ORDER_STATUSES, enumName: 'order_status', nullable: true })
  fromStatus: OrderStatus | null;

  @Column({ name: 'to_status', type: 'enum', enum: ORDER_STATUSES, enumName: 'order_status' })
  toStatus: OrderStatus;

  @Column({ type: 'text', nullable: true })
  reason: string | null;

  // Named, not imported: orders/ knows nothing of webhooks/.
  @Column({ name: 'webhook_event_id', type: 'bigint', nullable: true })
  @ForeignKey('WebhookEvent', { name: 'order_status_history_webhook_event_id_fkey' })
  webhookEventId: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @ManyToOne(() => Order, (order) => order.history)
  @JoinColumn([
    { name: 'order_source', referencedColumnName: 'source', foreignKeyConstraintName: 'order_status_history_order_fkey' },
    { name: 'order_id', referencedColumnName: 'orderId', foreignKeyConstraintName: 'order_status_history_order_fkey' },
  ])
  order: Relation<Order>;
}
