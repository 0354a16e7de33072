import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { queryRows } from '../database/query-rows.js';
import { countersMovedBy, type StockMovementKind } from './stock-movement-kind.js';

export interface StockRow {
  sku: string;
  on_hand: number;
  reserved: number;
  /** on_hand - reserved, computed by the database. */
  available: number;
  low_stock_threshold: number | null;
  /** available at or below low_stock_threshold: computed by the database, the one definition of "low". */
  low_stock: boolean;
  updated_at: Date;
}

const STOCK_COLUMNS = 'sku, on_hand, reserved, available, low_stock_threshold, low_stock, updated_at';

export interface LedgerMismatch {
  sku: string;
  on_hand: number;
  reserved: number;
  ledger_on_hand: number;
  ledger_reserved: number;
}

/** A SKU whose reserved units differ from what the order lines naming it hold reserved. */
export interface HeldMismatch {
  sku: string;
  reserved: number;
  lines_reserved: number;
}

/**
 * An order line whose counters differ from its ledger rows: reserved from
 * the sum of their reserved deltas, fulfilled from the units of their
 * commits, or returned outside [restocked, restocked + released] (the ledger
 * does not tell a return before shipping from a cancellation's release).
 */
export interface LineMismatch {
  order_source: string;
  order_id: string;
  line_no: number;
  sku: string | null;
  reserved_quantity: number;
  ledger_reserved: number;
  fulfilled_quantity: number;
  ledger_committed: number;
  returned_quantity: number;
  ledger_restocked: number;
  ledger_released: number;
}

export interface Movement {
  sku: string;
  kind: StockMovementKind;
  /** Units moved; what they do to the counters is the kind's (countersMovedBy). */
  units: number;
  webhookEventId?: string | null;
  reason?: string | null;
}

/** Why the guard refused a SKU's change (apply_stock_movements.sql, the one place that works it out). */
export type StockRefusal = 'no_stock_row' | 'reserved_below_zero' | 'on_hand_below_reserved' | 'on_hand_past_limit';

/** A SKU whose change the guard refused: its counters before (null without a stock row) and the change asked. */
export interface RefusedChange {
  sku: string;
  refusal: StockRefusal;
  on_hand: number | null;
  reserved: number | null;
  on_hand_delta: number;
  reserved_delta: number;
}

/**
 * Stock counters and their ledger. The rules are database functions in
 * `src/inventory/sql/`: rows are locked in SKU order (lock_stock.sql), and
 * every counter change, here and in the moves of orders' lines, is the one guarded
 * statement of apply_stock_movements.sql that writes its ledger rows with it.
 */
@Injectable()
export class StockRepository {
  /** Locks the rows of `skus` in SKU order and returns what exists of them. */
  async lockInSkuOrder(em: EntityManager, skus: string[]): Promise<Map<string, StockRow>> {
    const rows = await queryRows<StockRow>(em, `SELECT ${STOCK_COLUMNS} FROM shelfsync_lock_stock($1::text[])`, [skus]);
    return new Map(rows.map((row) => [row.sku, row]));
  }

  /**
   * Applies counter changes and writes their ledger rows in one statement.
   * The movements of one SKU are added up and applied together, only where
   * the result keeps 0 <= reserved <= on_hand (and on_hand within its integer
   * column); each movement still gets its own ledger row. Returns how many
   * ledger rows were written, and the SKUs refused with the guard's reason
   * (any refused: the caller rolls back).
   */
  async applyMovements(em: EntityManager, movements: Movement[]): Promise<{ written: number; refused: RefusedChange[] }> {
    if (movements.length === 0) return { written: 0, refused: [] };
    const [result] = await queryRows<{ written: number; refused: RefusedChange[] }>(
      em,
      `SELECT written, refused FROM shelfsync_apply_stock_movements(p_movements => $1::jsonb)`,
      [
        JSON.stringify(
          movements.map((m) => {
            const { onHandDelta, reservedDelta } = countersMovedBy(m.kind, m.units);
            return {
              sku: m.sku,
              kind: m.kind,
              on_hand_delta: onHandDelta,
              reserved_delta: reservedDelta,
              webhook_event_id: m.webhookEventId ?? null,
              reason: m.reason ?? null,
            };
          }),
        ),
      ],
    );
    return result;
  }

  /** Creates the SKU with nothing on hand when it does not exist yet. */
  async ensureSku(em: EntityManager, sku: string): Promise<void> {
    await em.query(`INSERT INTO stock (sku) VALUES ($1) ON CONFLICT (sku) DO NOTHING`, [sku]);
  }

  async setLowStockThreshold(em: EntityManager, sku: string, threshold: number | null): Promise<void> {
    await em.query(`UPDATE stock SET low_stock_threshold = $2, updated_at = now() WHERE sku = $1`, [sku, threshold]);
  }

  /** SKUs in SKU order after `afterSku`; with `lowStock`, only those whose available is at or below their threshold. */
  async list(em: EntityManager, query: { afterSku?: string; limit: number; lowStock: boolean }): Promise<StockRow[]> {
    return queryRows(
      em,
      `SELECT ${STOCK_COLUMNS} FROM stock
        WHERE ($1::text IS NULL OR sku COLLATE "C" > $1::text)
          AND (NOT $2 OR low_stock)
        ORDER BY sku COLLATE "C"
        LIMIT $3`,
      [query.afterSku ?? null, query.lowStock, query.limit],
    );
  }

  /**
   * SKUs whose counters differ from the sums of their ledger rows. Empty
   * when every unit is explained; `npm run reconcile` reports it.
   */
  async ledgerMismatches(em: EntityManager): Promise<LedgerMismatch[]> {
    return queryRows(
      em,
      `SELECT s.sku, s.on_hand, s.reserved,
              coalesce(m.on_hand, 0)::int AS ledger_on_hand, coalesce(m.reserved, 0)::int AS ledger_reserved
         FROM stock s
         LEFT JOIN (SELECT sku, sum(on_hand_delta) AS on_hand, sum(reserved_delta) AS reserved
                      FROM stock_movements GROUP BY sku) m USING (sku)
        WHERE s.on_hand <> coalesce(m.on_hand, 0) OR s.reserved <> coalesce(m.reserved, 0)
        ORDER BY s.sku COLLATE "C"`,
    );
  }

  /**
   * SKUs whose reserved units differ from the sum of the order lines'
   * reserved_quantity (the units the ledger's order rows hold). The ledger
   * names its order lines by key (stock_movements.line_no), as it names
   * orders: read here by table, never through orders/.
   */
  async heldMismatches(em: EntityManager): Promise<HeldMismatch[]> {
    return queryRows(
      em,
      `SELECT coalesce(s.sku, l.sku) AS sku, coalesce(s.reserved, 0) AS reserved, coalesce(l.reserved, 0)::int AS lines_reserved
         FROM stock s
         FULL JOIN (SELECT sku, sum(reserved_quantity) AS reserved FROM order_lines WHERE sku IS NOT NULL GROUP BY sku) l USING (sku)
        WHERE coalesce(s.reserved, 0) <> coalesce(l.reserved, 0)
        ORDER BY coalesce(s.sku, l.sku) COLLATE "C"`,
    );
  }

  /** Order lines whose counters differ from the sums of the ledger rows that name them (LineMismatch). */
  async lineMismatches(em: EntityManager): Promise<LineMismatch[]> {
    return queryRows(
      em,
      `SELECT l.order_source, l.order_id, l.line_no, l.sku,
              l.reserved_quantity, coalesce(m.reserved, 0)::int AS ledger_reserved,
              l.fulfilled_quantity, coalesce(m.committed, 0)::int AS ledger_committed,
              l.returned_quantity, coalesce(m.restocked, 0)::int AS ledger_restocked, coalesce(m.released, 0)::int AS ledger_released
         FROM order_lines l
         LEFT JOIN (SELECT order_source, order_id, line_no,
                           sum(reserved_delta) AS reserved,
                           sum(-on_hand_delta) FILTER (WHERE kind = 'commit') AS committed,
                           sum(on_hand_delta) FILTER (WHERE kind = 'restock') AS restocked,
                           sum(-reserved_delta) FILTER (WHERE kind = 'release') AS released
                      FROM stock_movements WHERE line_no IS NOT NULL GROUP BY 1, 2, 3) m
                USING (order_source, order_id, line_no)
        WHERE l.reserved_quantity <> coalesce(m.reserved, 0)
           OR l.fulfilled_quantity <> coalesce(m.committed, 0)
           OR l.returned_quantity NOT BETWEEN coalesce(m.restocked, 0) AND coalesce(m.restocked, 0) + coalesce(m.released, 0)
        ORDER BY l.order_source, l.order_id, l.line_no`,
    );
  }

  async find(em: EntityManager, sku: string): Promise<StockRow | undefined> {
    const [row] = await queryRows<StockRow>(em, `SELECT ${STOCK_COLUMNS} FROM stock WHERE sku = $1`, [sku]);
    return row;
  }
}
