import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Counters per SKU. They change only through guarded single statements in
 * StockRepository; the schema holds 0 <= reserved <= on_hand.
 */
@Entity({ name: 'stock' })
export class Stock {
  @PrimaryColumn({ type: 'text' })
  sku: string;

  @Column({ name: 'on_hand', type: 'integer' })
  onHand: number;

  @Column({ type: 'integer' })
  reserved: number;

  @Column({ name: 'low_stock_threshold', type: 'integer', nullable: true })
  lowStockThreshold: number | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
