import { Check, Column, Entity, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { amountColumn } from '../database/amount-column.js';
import { Order } from './order.entity.js';

@Entity({ name: 'order_lines' })
@Check('order_lines_line_no_check', `line_no >= 1`)
@Check('order_lines_quantity_check', `quantity >= 1`)
@Check('order_lines_unit_price_check', `unit_price >= 0`)
@Check('order_lines_returned_quantity_check', `returned_quantity BETWEEN 0 AND quantity`)
export class OrderLine {
  @PrimaryColumn({ name: 'order_source', type: 'text' })
  orderSource: string;

  @PrimaryColumn({ name: 'order_id', type: 'text' })
  orderId: string;

  @PrimaryColumn({ name: 'line_no', type: 'integer' })
  lineNo: number;

  /** null: a product without a SKU, kept on the order; it reserves nothing. */
  @Column({ type: 'text', nullable: true })
  sku: string | null;

  @Column({ type: 'integer' })
  quantity: number;

  @Column({ name: 'unit_price', ...amountColumn, nullable: true })
  unitPrice: string | null;

  /** Units that came back (a partial refund with restock); the line holds quantity - returned_quantity. */
  @Column({ name: 'returned_quantity', type: 'integer', default: 0 })
  returnedQuantity: number;

  @ManyToOne(() => Order, (order) => order.lines)
  @JoinColumn([
    { name: 'order_source', referencedColumnName: 'source', foreignKeyConstraintName: 'order_lines_order_fkey' },
    { name: 'order_id', referencedColumnName: 'orderId', foreignKeyConstraintName: 'order_lines_order_fkey' },
  ])
  order: Relation<Order>;
}
