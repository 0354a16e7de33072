import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type StockMovementKind = 'reserve' | 'release' | 'commit' | 'restock' | 'adjust';

/** The ledger: one row per change of a stock counter, with its cause. Summing it gives the counters. */
@Entity({ name: 'stock_movements' })
export class StockMovement {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'text' })
  sku: string;

  @Column({ type: 'text' })
  kind: StockMovementKind;

  @Column({ name: 'on_hand_delta', type: 'integer' })
  onHandDelta: number;

  @Column({ name: 'reserved_delta', type: 'integer' })
  reservedDelta: number;

  @Column({ name: 'order_id', type: 'text', nullable: true })
  orderId: string | null;

  @Column({ name: 'webhook_event_id', type: 'bigint', nullable: true })
  webhookEventId: string | null;

  @Column({ type: 'text', nullable: true })
  reason: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
