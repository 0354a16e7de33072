import { Check, Column, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { Stock } from './stock.entity.js';
import { STOCK_MOVEMENT_KINDS, type StockMovementKind } from './stock-movement-kind.js';

/**
 * One counter change of the ledger (stock_movements), written only by
 * apply_stock_movements.sql with the change itself. The foreign keys to
 * orders and deliveries name their entities rather than import them:
 * inventory/ knows neither orders/ nor webhooks/.
 */
@Entity({ name: 'stock_movements' })
@Check('stock_movements_check', `on_hand_delta <> 0 OR reserved_delta <> 0`)
@Check('stock_movements_order_check', `(order_id IS NULL) = (order_source IS NULL)`)
@Check('stock_movements_line_check', `(order_id IS NULL) = (line_no IS NULL)`)
// (the line's key names its order: a second key to orders would check every ledger row twice)
@ForeignKey('OrderLine', ['orderSource', 'orderId', 'lineNo'], ['orderSource', 'orderId', 'lineNo'], { name: 'stock_movements_line_fkey' })
@Index('stock_movements_sku_idx', ['sku', 'id'])
export class StockMovement {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'text' })
  @ForeignKey(() => Stock, { name: 'stock_movements_sku_fkey' })
  sku: string;

  @Column({ type: 'enum', enum: STOCK_MOVEMENT_KINDS, enumName: 'stock_movement_kind' })
  kind: StockMovementKind;

  @Column({ name: 'on_hand_delta', type: 'integer' })
  onHandDelta: number;

  @Column({ name: 'reserved_delta', type: 'integer' })
  reservedDelta: number;

  /** The order's source and id, when an order moved the units (both or neither). */
  @Column({ name: 'order_source', type: 'text', nullable: true })
  orderSource: string | null;

  @Column({ name: 'order_id', type: 'text', nullable: true })
  orderId: string | null;

  /** The order's line whose units moved: null exactly when the row names no order. */
  @Column({ name: 'line_no', type: 'integer', nullable: true })
  lineNo: number | null;

  @Column({ name: 'webhook_event_id', type: 'bigint', nullable: true })
  @ForeignKey('WebhookEvent', { name: 'stock_movements_webhook_event_id_fkey' })
  webhookEventId: string | null;

  @Column({ type: 'text', nullable: true })
  reason: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}
