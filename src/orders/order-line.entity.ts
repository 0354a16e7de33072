import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { numericToNumber } from '../database/column-transformers.js';
import { Order } from './order.entity.js';

@Entity({ name: 'order_lines' })
export class OrderLine {
  @PrimaryColumn({ name: 'order_id', type: 'text' })
  orderId: string;

  @PrimaryColumn({ name: 'line_no', type: 'integer' })
  lineNo: number;

  /** null: a product without a SKU, kept on the order; it reserves nothing. */
  @Column({ type: 'text', nullable: true })
  sku: string | null;

  @Column({ type: 'integer' })
  quantity: number;

  @Column({ name: 'unit_price', type: 'numeric', nullable: true, transformer: numericToNumber })
  unitPrice: number | null;

  /** Units that came back (a partial refund with restock); the line holds quantity - returned_quantity. */
  @Column({ name: 'returned_quantity', type: 'integer' })
  returnedQuantity: number;

  @ManyToOne(() => Order, (order) => order.lines)
  @JoinColumn({ name: 'order_id' })
  order: Relation<Order>;
}
