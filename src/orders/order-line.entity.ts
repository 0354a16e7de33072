import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { numericToNumber } from '../database/column-transformers.js';
import { Order } from './order.entity.js';

@Entity({ name: 'order_lines' })
export class OrderLine {
  @PrimaryColumn({ name: 'order_id', type: 'text' })
  orderId: string;

  @PrimaryColumn({ name: 'line_no', type: 'integer' })
  lineNo: number;

  @Column({ type: 'text' })
  sku: string;

  @Column({ type: 'integer' })
  quantity: number;

  @Column({ name: 'unit_price', type: 'numeric', nullable: true, transformer: numericToNumber })
  unitPrice: number | null;

  @ManyToOne(() => Order, (order) => order.lines)
  @JoinColumn({ name: 'order_id' })
  order: Relation<Order>;
}
