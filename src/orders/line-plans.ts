/**
 * What a new list of lines, or a parcel, does to an order's lines: pure
 * rules over the lines as they are (read under the order's lock), so that a
 * table can check them. The counters then move through
 * move_order_lines.sql, the one place a line's counters change with their
 * ledger rows.
 */

/** An order line as it holds its units (order_lines). */
export interface HeldLine {
  lineNo: number;
  sku: string | null;
  quantity: number;
  reserved: number;
  fulfilled: number;
  returned: number;
}

/** What an edit does, line by line. */
export interface EditPlan {
  /** Lines whose quantity changes, with their new quantity. */
  quantities: { lineNo: number; quantity: number }[];
  /** Lines added (a SKU the order did not have), numbered after its last line. */
  added: { lineNo: number; sku: string | null; quantity: number; unitPrice: number | null }[];
  /** Reserved units a line lets go (it asks for fewer than it holds). */
  release: { lineNo: number; sku: string; units: number }[];
  /** Units a line asks for on top of what it holds reserved (more of a SKU, a new SKU, or what an earlier short edit could not reserve). */
  reserve: { lineNo: number; sku: string; units: number }[];
  /** Whether the list differs from the order's lines. */
  changes: boolean;
  /** Whether, the list being the same, a line still asks for units an earlier edit could not reserve (edit_short). */
  refills: boolean;
}

/**
 * What the customer keeps ordering of a line: its quantity less the shipped
 * units that came back (units given up before shipping already left its
 * quantity: move_order_lines.sql). A gateway's count of a line (Shopify's
 * current_quantity) is this.
 */
function kept(line: HeldLine): number {
  return line.quantity - line.returned;
}

/**
 * An order's lines becoming `asked` (per SKU, null for the lines without
 * one; a SKU not asked for is no longer ordered), compared with what each
 * SKU's lines keep (kept()). Per SKU: more units are added to its last line
 * (a new line for a new SKU); fewer are taken from its lines, last first,
 * never below what a line shipped (units shipped stay shipped). Then every
 * line with a SKU holds reserved what it still has to ship (quantity less
 * shipped): it lets go of the rest, or asks for what it lacks (the new
 * units, and any an earlier edit could not reserve).
 */
export function planEdit(lines: readonly HeldLine[], asked: readonly { sku: string | null; quantity: number; unitPrice: number | null }[]): EditPlan {
  const plan: EditPlan = { quantities: [], added: [], release: [], reserve: [], changes: false, refills: false };
  const wanted = new Map<string | null, { quantity: number; unitPrice: number | null }>();
  for (const line of asked) {
    const seen = wanted.get(line.sku);
    wanted.set(line.sku, { quantity: (seen?.quantity ?? 0) + line.quantity, unitPrice: seen ? seen.unitPrice : line.unitPrice });
  }
  const quantityOf = new Map(lines.map((line) => [line.lineNo, line.quantity]));
  let nextLineNo = lines.reduce((last, line) => Math.max(last, line.lineNo), 0) + 1;
  for (const sku of [...new Set([...lines.map((line) => line.sku), ...wanted.keys()])]) {
    const held = lines.filter((line) => line.sku === sku);
    const has = held.reduce((sum, line) => sum + kept(line), 0);
    const target = wanted.get(sku)?.quantity ?? 0;
    if (target > has) {
      const last = held[held.length - 1];
      if (last) quantityOf.set(last.lineNo, last.quantity + (target - has));
      else plan.added.push({ lineNo: nextLineNo++, sku, quantity: target - has, unitPrice: wanted.get(sku)!.unitPrice });
    } else if (target < has) {
      let fewer = has - target;
      for (const line of [...held].reverse()) {
        const taken = Math.min(line.quantity - line.fulfilled, fewer);
        fewer -= taken;
        quantityOf.set(line.lineNo, line.quantity - taken);
      }
    }
  }
  for (const line of lines) {
    const quantity = quantityOf.get(line.lineNo)!;
    if (quantity !== line.quantity) plan.quantities.push({ lineNo: line.lineNo, quantity });
    if (line.sku === null) continue;
    const toShip = Math.max(0, quantity - line.fulfilled);
    if (toShip < line.reserved) plan.release.push({ lineNo: line.lineNo, sku: line.sku, units: line.reserved - toShip });
    if (toShip > line.reserved) plan.reserve.push({ lineNo: line.lineNo, sku: line.sku, units: toShip - line.reserved });
  }
  for (const line of plan.added) if (line.sku !== null) plan.reserve.push({ lineNo: line.lineNo, sku: line.sku, units: line.quantity });
  plan.changes = plan.quantities.length > 0 || plan.added.length > 0;
  plan.refills = !plan.changes && plan.reserve.length > 0;
  return plan;
}

/** The SKUs whose stock an edit moves, each once. */
export function skusMovedBy(plan: EditPlan): string[] {
  return [...new Set([...plan.release, ...plan.reserve].map((move) => move.sku))];
}

/** Per SKU, the units an edit asks for on top of what the order held. */
export function unitsAskedBy(plan: EditPlan): Map<string, number> {
  const asked = new Map<string, number>();
  for (const { sku, units } of plan.reserve) asked.set(sku, (asked.get(sku) ?? 0) + units);
  return asked;
}

/**
 * What a parcel would do to the order's lines: whether any of its units are
 * still held to ship (reserved: what a commit ships), and whether it ships
 * the last units the order holds (then the order is fulfilled). Units an
 * edit asked for but could not reserve (edit_short) are not held, so they
 * never keep an order from being fulfilled: the flag is there for them.
 */
export function parcelFacts(lines: readonly HeldLine[], parcel: readonly { sku: string; quantity: number }[]): { shipsSomething: boolean; completes: boolean } {
  const asked = new Map<string, number>();
  for (const { sku, quantity } of parcel) asked.set(sku, (asked.get(sku) ?? 0) + quantity);
  let shipsSomething = false;
  let completes = true;
  for (const sku of new Set(lines.flatMap((line) => (line.sku === null ? [] : [line.sku])))) {
    const reserved = lines.filter((line) => line.sku === sku).reduce((sum, line) => sum + line.reserved, 0);
    const ships = Math.min(asked.get(sku) ?? 0, reserved);
    if (ships > 0) shipsSomething = true;
    if (ships < reserved) completes = false;
  }
  return { shipsSomething, completes };
}
