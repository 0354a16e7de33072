import { Check, Column, Entity, PrimaryColumn } from 'typeorm';

/** A SKU's counters (stock). They change only through apply_stock_movements.sql, which writes the ledger with them. */
@Entity({ name: 'stock' })
@Check('stock_sku_check', `length(sku) BETWEEN 1 AND 100`)
@Check('stock_low_stock_threshold_check', `low_stock_threshold >= 0`)
@Check('stock_reserved_within_on_hand', `reserved >= 0 AND reserved <= on_hand`)
export class Stock {
  @PrimaryColumn({ type: 'text' })
  sku: string;

  @Column({ name: 'on_hand', type: 'integer', default: 0 })
  onHand: number;

  @Column({ type: 'integer', default: 0 })
  reserved: number;

  @Column({ name: 'low_stock_threshold', type: 'integer', nullable: true })
  lowStockThreshold: number | null;

  // Computed by the database (nullable there, as every generated column is, though never null: its inputs are not).
  @Column({ type: 'integer', nullable: true, generatedType: 'STORED', asExpression: 'on_hand - reserved', insert: false, update: false })
  available: number;

  /** available at or below low_stock_threshold: the one definition of "low". */
  @Column({
    name: 'low_stock',
    type: 'boolean',
    nullable: true,
    generatedType: 'STORED',
    asExpression: 'low_stock_threshold IS NOT NULL AND on_hand - reserved <= low_stock_threshold',
    insert: false,
    update: false,
  })
  lowStock: boolean;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;
}
