import { Check, Column, Entity, Generated, Index, OneToMany, PrimaryColumn, type Relation } from 'typeorm';
import { amountColumn } from '../database/amount-column.js';
import { OrderAttentionItem } from './order-attention.entity.js';
import { OrderLine } from './order-line.entity.js';
import { OrderStatusHistory } from './order-status-history.entity.js';
import { ORDER_STATUSES, type OrderStatus } from './order-status.js';

@Entity({ name: 'orders' })
@Check('orders_order_id_check', `length(order_id) BETWEEN 1 AND 128`)
@Check('orders_total_amount_check', `total_amount >= 0`)
@Check('orders_payment_id_check', `length(payment_id) BETWEEN 1 AND 255`)
@Index('orders_seq_idx', ['seq'], { unique: true })
// An order id alone, for what does not know the source yet (a payment naming an order, GET /orders/:order_id).
@Index('orders_order_id_idx', ['orderId'])
@Index('orders_status_seq_idx', ['status', 'seq'])
@Index('orders_payment_id_idx', ['paymentId'], { where: 'payment_id IS NOT NULL' })
// The reservation sweeper's: unpaid orders, oldest first.
@Index('orders_unpaid_idx', ['createdAt'], { where: `status IN ('pending', 'payment_failed')` })
// GET /orders?needs_attention=true: the flagged orders, newest first.
@Index('orders_needs_attention_idx', ['seq'], { where: 'needs_attention' })
export class Order {
  /** The source that created it: an order is identified by its source and its id (two stores' ids meet). */
  @PrimaryColumn({ type: 'text' })
  source: string;

  /** The gateway's order id; integers are kept in their decimal text form. */
  @PrimaryColumn({ name: 'order_id', type: 'text' })
  orderId: string;

  @Column({ type: 'enum', enum: ORDER_STATUSES, enumName: 'order_status' })
  status: OrderStatus;

  @Column({ name: 'status_reason', type: 'text', nullable: true })
  statusReason: string | null;

  /** True exactly while the order has an open attention item (OrdersRepository keeps both in one statement). */
  @Column({ name: 'needs_attention', type: 'boolean', default: false })
  needsAttention: boolean;

  @Column({ name: 'customer_name', type: 'text' })
  customerName: string;

  @Column({ name: 'customer_email', type: 'text', nullable: true })
  customerEmail: string | null;

  @Column({ name: 'total_amount', ...amountColumn })
  totalAmount: string;

  @Column({ type: 'char', length: 3 })
  currency: string;

  /** The gateway's id of the payment that paid it (a Stripe payment intent), when one said so. */
  @Column({ name: 'payment_id', type: 'text', nullable: true })
  paymentId: string | null;

  /**
   * The newest version of the order a gateway's snapshot applied (Shopify
   * updated_at, WooCommerce date_modified_gmt); an older snapshot is stale.
   */
  @Column({ name: 'snapshot_version', type: 'timestamptz', nullable: true })
  snapshotVersion: Date | null;

  /** Arrival order: the keyset of the listing (created_at can tie). */
  @Column({ type: 'bigint' })
  @Generated('increment')
  seq: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;

  @OneToMany(() => OrderLine, (line) => line.order)
  lines: Relation<OrderLine[]>;

  @OneToMany(() => OrderStatusHistory, (entry) => entry.order)
  history: Relation<OrderStatusHistory[]>;

  @OneToMany(() => OrderAttentionItem, (item) => item.order)
  attention: Relation<OrderAttentionItem[]>;
}
