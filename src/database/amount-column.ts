import type { ColumnOptions } from 'typeorm';

/**
 * Amounts of money: numeric(20, 4) in the schema. PostgreSQL hands a numeric
 * over as its exact decimal text ('199.9900'), and that text is what the code
 * reads and compares (compareDecimals in order-state-machine.ts): never a
 * cast to float8 in SQL, never a number before the answer is written.
 */
export const amountColumn = { type: 'numeric', precision: 20, scale: 4 } as const satisfies ColumnOptions;

/** An amount as the API answers it, a JSON number ('199.9900' -> 199.99): the one conversion, where a view is built. */
export function amountAsNumber(amount: string): number;
export function amountAsNumber(amount: string | null): number | null;
export function amountAsNumber(amount: string | null): number | null {
  return amount === null ? null : Number(amount);
}
