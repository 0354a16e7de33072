import { Column, Entity, OneToMany, PrimaryColumn, type Relation } from 'typeorm';
import { numericToNumber } from '../database/column-transformers.js';
import { OrderLine } from './order-line.entity.js';
import { OrderStatusHistory } from './order-status-history.entity.js';
import type { OrderStatus } from './order-status.js';

@Entity({ name: 'orders' })
export class Order {
  /** The gateway's order id; integers are kept in their decimal text form. */
  @PrimaryColumn({ name: 'order_id', type: 'text' })
  orderId: string;

  @Column({ type: 'text' })
  status: OrderStatus;

  @Column({ name: 'status_reason', type: 'text', nullable: true })
  statusReason: string | null;

  @Column({ name: 'needs_attention', type: 'boolean' })
  needsAttention: boolean;

  @Column({ name: 'customer_name', type: 'text' })
  customerName: string;

  @Column({ name: 'customer_email', type: 'text', nullable: true })
  customerEmail: string | null;

  @Column({ name: 'total_amount', type: 'numeric', transformer: numericToNumber })
  totalAmount: number;

  @Column({ type: 'char', length: 3 })
  currency: string;

  @Column({ type: 'text' })
  source: string;

  /** The gateway's id of the payment that paid it (a Stripe payment intent), when one said so. */
  @Column({ name: 'payment_id', type: 'text', nullable: true })
  paymentId: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @OneToMany(() => OrderLine, (line) => line.order)
  lines: Relation<OrderLine[]>;

  @OneToMany(() => OrderStatusHistory, (entry) => entry.order)
  history: Relation<OrderStatusHistory[]>;
}
