/** The ledger's kinds of counter change (stock_movements.kind). */
export type StockMovementKind = 'reserve' | 'release' | 'commit' | 'restock' | 'adjust';
