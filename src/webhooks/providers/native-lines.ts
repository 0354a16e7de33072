import type { FieldProblem } from '../../common/app-error.js';
import type { CreateOrderCommand } from '../../orders/order-commands.js';
import { absent, decimalAmountOf, isObject, isQuantity, isSku, linesAt, MAX_AMOUNT, QUANTITY_RULE } from './input-rules.js';

/** What skuOf accepts, for messages. */
export const SKU_RULE = 'a string of at most 100 characters, or null';

/** A line's SKU: null when the gateway gives none (missing, null or ""), the SKU otherwise; undefined when it is not one. */
export function skuOf(value: unknown): string | null | undefined {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') return undefined;
  const sku = value.trim();
  if (sku === '') return null;
  return isSku(sku) ? sku : undefined;
}

/**
 * Lines of one SKU as one line, in the order each SKU first appears: their
 * quantities added up (and whatever else `addInto` adds), the unit price kept
 * when every line of the SKU has the same, else null; lines without a SKU
 * kept as they are (they reserve nothing). The lines given are not changed.
 */
export function addedUpBySku<L extends { sku: string | null; quantity: number; unitPrice: number | null }>(
  lines: readonly L[],
  addInto: (first: L, line: L) => void = () => {},
): L[] {
  const out: L[] = [];
  const bySku = new Map<string, L>();
  for (const line of lines) {
    const same = line.sku === null ? undefined : bySku.get(line.sku);
    if (same) {
      same.quantity += line.quantity;
      if (same.unitPrice !== line.unitPrice) same.unitPrice = null;
      addInto(same, line);
      continue;
    }
    const first = { ...line };
    out.push(first);
    if (first.sku !== null) bySku.set(first.sku, first);
  }
  return out;
}

/**
 * A gateway's `line_items` ({sku, quantity, price}) as an order's lines, one
 * per SKU (addedUpBySku). `unitPriceOf` reads the gateway's price: a number,
 * null when there is none, undefined when it is not a price. Every bad field
 * is added to `problems`.
 */
export function lineItemsOf(
  items: unknown,
  problems: FieldProblem[],
  unitPriceOf: (price: unknown) => number | null | undefined,
): CreateOrderCommand['lines'] {
  const lines: CreateOrderCommand['lines'] = [];
  (linesAt(items, 'line_items', problems) ?? []).forEach((item: unknown, i) => {
    const at = `line_items[${i}]`;
    if (!isObject(item)) {
      problems.push({ field: at, message: `${at} must be an object` });
      return;
    }
    const sku = skuOf(item.sku);
    if (sku === undefined) problems.push({ field: `${at}.sku`, message: `${at}.sku must be ${SKU_RULE}` });
    if (!isQuantity(item.quantity)) problems.push({ field: `${at}.quantity`, message: `${at}.quantity must be ${QUANTITY_RULE}` });
    const unitPrice = unitPriceOf(item.price);
    if (unitPrice === undefined) problems.push({ field: `${at}.price`, message: `${at}.price must be an amount such as "199.00"` });
    if (sku === undefined || !isQuantity(item.quantity) || unitPrice === undefined) return;
    lines.push({ sku, quantity: item.quantity, unitPrice });
  });
  return addedUpBySku(lines);
}

/** Shopify's line `price`, a decimal string ("199.00"): null when absent, undefined when it is not an amount. */
export function shopifyUnitPriceOf(price: unknown): number | null | undefined {
  return absent(price) ? null : decimalAmountOf(price);
}

/** WooCommerce's line `price` is total / quantity, a float that may run to many decimals: rounded to 4, or null when absent or not a price. */
export function wooUnitPriceOf(value: unknown): number | null {
  const price = typeof value === 'string' ? Number(value) : value;
  if (typeof price !== 'number' || !Number.isFinite(price) || price < 0 || price > MAX_AMOUNT) return null;
  return Math.round(price * 10_000) / 10_000;
}
