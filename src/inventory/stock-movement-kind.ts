/** The ledger's kinds of counter change (stock_movements.kind, the database's enum stock_movement_kind). */
export const STOCK_MOVEMENT_KINDS = ['reserve', 'release', 'commit', 'restock', 'adjust'] as const;
export type StockMovementKind = (typeof STOCK_MOVEMENT_KINDS)[number];
