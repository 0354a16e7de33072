import { describe, expect, it } from '@jest/globals';
import { countersMovedBy, STOCK_MOVEMENT_KINDS, UNIT_DELTAS } from '../../src/inventory/stock-movement-kind.js';

describe('the ledger rule: what a movement of each kind does to the counters', () => {
  it.each([
    ['reserve', 3, 0, 3],
    ['release', 3, 0, -3],
    ['commit', 3, -3, -3],
    ['restock', 3, 3, 0],
    ['adjust', 5, 5, 0],
    ['adjust', -2, -2, 0],
  ] as const)('%s of %i units moves on_hand by %i and reserved by %i', (kind, units, onHandDelta, reservedDelta) => {
    expect(countersMovedBy(kind, units)).toEqual({ onHandDelta, reservedDelta });
  });

  it('has a rule for every kind of the ledger, and nothing else', () => {
    expect(Object.keys(UNIT_DELTAS).sort()).toEqual([...STOCK_MOVEMENT_KINDS].sort());
  });

  it('moves the available units as each kind should: a reservation takes them, shipping leaves them, the others give them', () => {
    const available = (kind: (typeof STOCK_MOVEMENT_KINDS)[number]) => UNIT_DELTAS[kind].onHand - UNIT_DELTAS[kind].reserved;
    expect(STOCK_MOVEMENT_KINDS.map((kind) => [kind, available(kind)])).toEqual([
      ['reserve', -1],
      ['release', 1],
      ['commit', 0],
      ['restock', 1],
      ['adjust', 1],
    ]);
  });
});
