import { describe, expect, it } from '@jest/globals';
import { operatorRefusal } from '../../src/inventory/inventory.service.js';
import type { RefusedChange } from '../../src/inventory/stock.repository.js';

/** A refusal as apply_stock_movements.sql reports it: the counters before the change, and the change. */
const refused = (refusal: RefusedChange['refusal'], on_hand: number | null, reserved: number | null, on_hand_delta: number): RefusedChange => ({
  sku: 'SKU-1',
  refusal,
  on_hand,
  reserved,
  on_hand_delta,
  reserved_delta: 0,
});

describe('operatorRefusal: the 409 an operator reads, from the reason the stock guard gave', () => {
  it.each<[string, RefusedChange, 'count' | 'adjustment', string]>([
    ['a count below the reserved units', refused('on_hand_below_reserved', 10, 6, -7), 'count', 'on_hand 3 is below the 6 units reserved for SKU "SKU-1"; release or fulfil orders first'],
    ['an adjustment below the reserved units', refused('on_hand_below_reserved', 10, 6, -7), 'adjustment', 'removing 7 units from SKU "SKU-1" would leave on_hand 3 below the 6 units reserved'],
    ['an adjustment past the integer column', refused('on_hand_past_limit', 2147483000, 0, 1000), 'adjustment', 'adding 1000 units to SKU "SKU-1" would take on_hand past 2147483647'],
    ['a change to no stock row', refused('no_stock_row', null, null, 5), 'adjustment', 'SKU "SKU-1" cannot change (no_stock_row)'],
    ['reserved taken below zero', refused('reserved_below_zero', 10, 0, 0), 'count', 'SKU "SKU-1" cannot change (reserved_below_zero)'],
  ])('%s', (_what, change, asked, message) => {
    expect(operatorRefusal(change, asked)).toBe(message);
  });
});
