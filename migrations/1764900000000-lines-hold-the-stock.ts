import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Lines are the unit of stock truth (issue 23, part 1): each order line
 * says what it holds, and every ledger row of an order names its line.
 *
 * - `order_lines.reserved_quantity`: units of the line held in stock.reserved
 *   now; `fulfilled_quantity`: units shipped (they left on_hand);
 *   `returned_quantity` (kept): units that came back, released while
 *   unshipped or restocked after shipping. The CHECKs: no counter below 0; a
 *   line without a SKU holds nothing; and reserved + max(fulfilled, returned)
 *   <= quantity, which every flow keeps: a unit is reserved, shipped,
 *   returned before shipping, or let go (cancelled) at most once, and a
 *   returned unit was either never shipped or is one of the shipped ones.
 * - `stock_movements.line_no`: the line whose units moved, with the order's
 *   source and id a foreign key to order_lines; null exactly when the row
 *   names no order (an operator's adjustment).
 *
 * Existing orders are filled from what their status and history say:
 * pending, payment_failed and paid orders hold quantity - returned_quantity
 * reserved on each line with a SKU; fulfilled orders, and refunded orders
 * whose history went through fulfilled, shipped every unit of those lines
 * (fulfilled = quantity: returns before shipping were not told apart from
 * returns after it); such a refund that restocked (a restock row written by
 * the refunding delivery) brought every unit back (returned = quantity), as a
 * refund with restock now marks it; every other line holds nothing.
 * Existing ledger rows were written per SKU: each gets the first line of its
 * order with that SKU (an order naming a SKU on two lines has its units on
 * the first line's rows, and `npm run reconcile` shows such lines).
 */
export class LinesHoldTheStock1764900000000 implements MigrationInterface {
  name = 'LinesHoldTheStock1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE order_lines
      ADD COLUMN reserved_quantity integer NOT NULL DEFAULT 0,
      ADD COLUMN fulfilled_quantity integer NOT NULL DEFAULT 0`);
    await q.query(`UPDATE order_lines l SET reserved_quantity = l.quantity - l.returned_quantity
      FROM orders o WHERE o.source = l.order_source AND o.order_id = l.order_id
       AND o.status IN ('pending', 'payment_failed', 'paid') AND l.sku IS NOT NULL`);
    await q.query(`UPDATE order_lines l SET fulfilled_quantity = l.quantity
      FROM orders o WHERE o.source = l.order_source AND o.order_id = l.order_id AND l.sku IS NOT NULL
       AND (o.status = 'fulfilled'
            OR (o.status = 'refunded' AND EXISTS (
                  SELECT 1 FROM order_status_history h
                   WHERE h.order_source = o.source AND h.order_id = o.order_id AND h.from_status = 'fulfilled')))`);
    await q.query(`UPDATE order_lines l SET returned_quantity = l.quantity
      FROM orders o WHERE o.source = l.order_source AND o.order_id = l.order_id AND l.sku IS NOT NULL
       AND o.status = 'refunded'
       AND EXISTS (SELECT 1 FROM order_status_history h JOIN stock_movements m
                     ON m.order_source = h.order_source AND m.order_id = h.order_id AND m.webhook_event_id = h.webhook_event_id
                    WHERE h.order_source = o.source AND h.order_id = o.order_id
                      AND h.from_status = 'fulfilled' AND h.to_status = 'refunded' AND m.kind = 'restock')`);
    await q.query(`ALTER TABLE order_lines
      ADD CONSTRAINT order_lines_reserved_quantity_check CHECK (reserved_quantity >= 0),
      ADD CONSTRAINT order_lines_fulfilled_quantity_check CHECK (fulfilled_quantity >= 0),
      ADD CONSTRAINT order_lines_held_check CHECK (reserved_quantity + greatest(fulfilled_quantity, returned_quantity) <= quantity),
      ADD CONSTRAINT order_lines_sku_check CHECK (sku IS NOT NULL OR (reserved_quantity = 0 AND fulfilled_quantity = 0))`);

    await q.query(`ALTER TABLE stock_movements ADD COLUMN line_no integer`);
    await q.query(`UPDATE stock_movements m SET line_no = (
        SELECT min(l.line_no) FROM order_lines l WHERE l.order_source = m.order_source AND l.order_id = m.order_id AND l.sku = m.sku)
      WHERE m.order_id IS NOT NULL`);
    await q.query(`ALTER TABLE stock_movements
      ADD CONSTRAINT stock_movements_line_check CHECK ((order_id IS NULL) = (line_no IS NULL)),
      ADD CONSTRAINT stock_movements_line_fkey FOREIGN KEY (order_source, order_id, line_no)
        REFERENCES order_lines (order_source, order_id, line_no)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE stock_movements DROP CONSTRAINT stock_movements_line_fkey, DROP CONSTRAINT stock_movements_line_check`);
    await q.query(`ALTER TABLE stock_movements DROP COLUMN line_no`);
    await q.query(`ALTER TABLE order_lines
      DROP CONSTRAINT order_lines_sku_check, DROP CONSTRAINT order_lines_held_check,
      DROP CONSTRAINT order_lines_fulfilled_quantity_check, DROP CONSTRAINT order_lines_reserved_quantity_check`);
    await q.query(`ALTER TABLE order_lines DROP COLUMN fulfilled_quantity, DROP COLUMN reserved_quantity`);
  }
}
