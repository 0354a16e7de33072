import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { StockMovementKind } from './stock-movement.entity.js';

export interface StockRow {
  sku: string;
  on_hand: number;
  reserved: number;
  updated_at: Date;
}

export interface Movement {
  sku: string;
  kind: StockMovementKind;
  onHandDelta: number;
  reservedDelta: number;
  orderId?: string | null;
  webhookEventId?: string | null;
  reason?: string | null;
}

/**
 * The only code that writes stock counters. Rows are locked in SKU order, so
 * two transactions never wait on each other in a cycle, and every counter
 * change is one guarded statement that writes its ledger row with it.
 */
@Injectable()
export class StockRepository {
  /** Locks the rows of `skus` in SKU order and returns what exists of them. */
  async lockInSkuOrder(em: EntityManager, skus: string[]): Promise<Map<string, StockRow>> {
    const rows: StockRow[] = await em.query(
      `SELECT sku, on_hand, reserved, updated_at FROM stock
        WHERE sku = ANY($1::text[]) ORDER BY sku COLLATE "C" FOR UPDATE`,
      [skus],
    );
    return new Map(rows.map((row) => [row.sku, row]));
  }

  /**
   * Applies counter changes and writes their ledger rows in one statement.
   * A change is applied only where the result keeps 0 <= reserved <= on_hand;
   * returns how many were applied, so fewer than given means some were refused
   * (the caller rolls back). At most one movement per SKU.
   */
  async applyMovements(em: EntityManager, movements: Movement[]): Promise<number> {
    if (movements.length === 0) return 0;
    const applied: unknown[] = await em.query(
      `WITH m AS (
         SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::int[], $5::text[], $6::bigint[], $7::text[])
                    AS m(sku, kind, on_hand_delta, reserved_delta, order_id, webhook_event_id, reason)
       ), changed AS (
         UPDATE stock s
            SET on_hand = s.on_hand + m.on_hand_delta,
                reserved = s.reserved + m.reserved_delta,
                updated_at = now()
           FROM m
          WHERE s.sku = m.sku
            AND s.reserved + m.reserved_delta >= 0
            AND s.on_hand + m.on_hand_delta >= s.reserved + m.reserved_delta
         RETURNING s.sku
       )
       INSERT INTO stock_movements (sku, kind, on_hand_delta, reserved_delta, order_id, webhook_event_id, reason)
       SELECT m.sku, m.kind, m.on_hand_delta, m.reserved_delta, m.order_id, m.webhook_event_id, m.reason
         FROM m JOIN changed USING (sku)
       RETURNING id`,
      [
        movements.map((m) => m.sku),
        movements.map((m) => m.kind),
        movements.map((m) => m.onHandDelta),
        movements.map((m) => m.reservedDelta),
        movements.map((m) => m.orderId ?? null),
        movements.map((m) => m.webhookEventId ?? null),
        movements.map((m) => m.reason ?? null),
      ],
    );
    return applied.length;
  }

  /** Creates the SKU with nothing on hand when it does not exist yet. */
  async ensureSku(em: EntityManager, sku: string): Promise<void> {
    await em.query(`INSERT INTO stock (sku) VALUES ($1) ON CONFLICT (sku) DO NOTHING`, [sku]);
  }

  async find(em: EntityManager, sku: string): Promise<StockRow | undefined> {
    const rows: StockRow[] = await em.query(
      `SELECT sku, on_hand, reserved, updated_at FROM stock WHERE sku = $1`,
      [sku],
    );
    return rows[0];
  }
}
