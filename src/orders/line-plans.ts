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
  /** Reserved units a line lets go (its quantity went below what it holds). */
  release: { lineNo: number; sku: string; units: number }[];
  /** Units a line asks for on top of what it held (more of a SKU, a new SKU). */
  reserve: { lineNo: number; sku: string; units: number }[];
  /** Whether the list differs from the order's lines at all. */
  changes: boolean;
}

/** Units of a line neither shipped nor come back: what an edit may take away. */
function open(line: HeldLine): number {
  return line.quantity - Math.max(line.fulfilled, line.returned);
}

/**
 * An order's lines becoming `asked` (per SKU, null for the lines without
 * one; a SKU not asked for is no longer ordered). Per SKU: more units are
 * added to its last line (a new line for a new SKU) and asked for; fewer are
 * taken from its lines, last first, never below what a line shipped or got
 * back (units shipped stay shipped), and a line lets go of the reserved
 * units beyond what it still asks for.
 */
export function planEdit(lines: readonly HeldLine[], asked: readonly { sku: string | null; quantity: number; unitPrice: number | null }[]): EditPlan {
  const plan: EditPlan = { quantities: [], added: [], release: [], reserve: [], changes: false };
  const wanted = new Map<string | null, { quantity: number; unitPrice: number | null }>();
  for (const line of asked) {
    const seen = wanted.get(line.sku);
    wanted.set(line.sku, { quantity: (seen?.quantity ?? 0) + line.quantity, unitPrice: seen ? seen.unitPrice : line.unitPrice });
  }
  let nextLineNo = lines.reduce((last, line) => Math.max(last, line.lineNo), 0) + 1;
  const skus = [...new Set([...lines.map((line) => line.sku), ...wanted.keys()])];
  for (const sku of skus) {
    const held = lines.filter((line) => line.sku === sku);
    const has = held.reduce((sum, line) => sum + line.quantity, 0);
    const target = wanted.get(sku)?.quantity ?? 0;
    if (target > has) {
      const more = target - has;
      const last = held[held.length - 1];
      let lineNo: number;
      if (last) {
        lineNo = last.lineNo;
        plan.quantities.push({ lineNo, quantity: last.quantity + more });
      } else {
        lineNo = nextLineNo++;
        plan.added.push({ lineNo, sku, quantity: more, unitPrice: wanted.get(sku)!.unitPrice });
      }
      if (sku !== null) plan.reserve.push({ lineNo, sku, units: more });
    } else if (target < has) {
      let fewer = has - target;
      for (const line of [...held].reverse()) {
        const taken = Math.min(open(line), fewer);
        if (taken === 0) continue;
        fewer -= taken;
        const quantity = line.quantity - taken;
        plan.quantities.push({ lineNo: line.lineNo, quantity });
        const release = line.reserved - (quantity - Math.max(line.fulfilled, line.returned));
        if (sku !== null && release > 0) plan.release.push({ lineNo: line.lineNo, sku, units: release });
      }
    }
  }
  plan.quantities.sort((a, b) => a.lineNo - b.lineNo);
  plan.changes = plan.quantities.length > 0 || plan.added.length > 0;
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
