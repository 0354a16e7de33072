import { Check, Column, Entity, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { amountColumn } from '../database/amount-column.js';
import { Order } from './order.entity.js';

@Entity({ name: 'order_lines' })
@Check('order_lines_line_no_check', `line_no >= 1`)
// 0: a line an edit removed, kept with what it shipped or returned
@Check('order_lines_quantity_check', `quantity >= 0`)
@Check('order_lines_unit_price_check', `unit_price >= 0`)
@Check('order_lines_returned_quantity_check', `returned_quantity BETWEEN 0 AND quantity`)
@Check('order_lines_reserved_quantity_check', `reserved_quantity >= 0`)
@Check('order_lines_fulfilled_quantity_check', `fulfilled_quantity >= 0`)
// a returned unit was never shipped or is one of the shipped: either way reserved, shipped and returned-unshipped fit in quantity
// a returned unit is a shipped unit that came back (one given up before shipping left the quantity)
@Check('order_lines_returned_shipped_check', `returned_quantity <= fulfilled_quantity`)
@Check('order_lines_held_check', `reserved_quantity + greatest(fulfilled_quantity, returned_quantity) <= quantity`)
@Check('order_lines_sku_check', `sku IS NOT NULL OR (reserved_quantity = 0 AND fulfilled_quantity = 0)`)
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

  /**
   * The line's counters, moved only with the ledger rows that name the line
   * (src/orders/sql/move_order_lines.sql): units held in stock.reserved now,
   * units shipped (they left on_hand), and units that came back (released
   * while unshipped, or restocked after shipping).
   */
  @Column({ name: 'reserved_quantity', type: 'integer', default: 0 })
  reservedQuantity: number;

  @Column({ name: 'fulfilled_quantity', type: 'integer', default: 0 })
  fulfilledQuantity: number;

  @Column({ name: 'returned_quantity', type: 'integer', default: 0 })
  returnedQuantity: number;

  @ManyToOne(() => Order, (order) => order.lines)
  @JoinColumn([
    { name: 'order_source', referencedColumnName: 'source', foreignKeyConstraintName: 'order_lines_order_fkey' },
    { name: 'order_id', referencedColumnName: 'orderId', foreignKeyConstraintName: 'order_lines_order_fkey' },
  ])
  order: Relation<Order>;
}
