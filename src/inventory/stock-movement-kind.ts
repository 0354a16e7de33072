/** The ledger's kinds of counter change (stock_movements.kind, the database's enum stock_movement_kind). */
export const STOCK_MOVEMENT_KINDS = ['reserve', 'release', 'commit', 'restock', 'adjust'] as const;
export type StockMovementKind = (typeof STOCK_MOVEMENT_KINDS)[number];

/**
 * The ledger's rule: what one unit of each kind does to the counters. Every
 * movement's deltas are its units times these, here and in the moves of
 * orders' lines (move_order_lines.sql is given this table); the database applies
 * deltas and never decides them.
 */
export const UNIT_DELTAS: Readonly<Record<StockMovementKind, { onHand: number; reserved: number }>> = {
  /** an order holds units: still on hand, no longer available */
  reserve: { onHand: 0, reserved: 1 },
  /** an order lets its held units go (cancelled, refunded, expired, returned before shipping) */
  release: { onHand: 0, reserved: -1 },
  /** held units ship: they leave on hand */
  commit: { onHand: -1, reserved: -1 },
  /** shipped units come back */
  restock: { onHand: 1, reserved: 0 },
  /** an operator's count: units added (or, negative, removed) */
  adjust: { onHand: 1, reserved: 0 },
};

/** The counters `units` of `kind` move. */
export function countersMovedBy(kind: StockMovementKind, units: number): { onHandDelta: number; reservedDelta: number } {
  const delta = UNIT_DELTAS[kind];
  // `+ 0`: no -0 for a kind that leaves a counter alone
  return { onHandDelta: delta.onHand * units + 0, reservedDelta: delta.reserved * units + 0 };
}
