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
 * The only code that writes stock counters. Every write is a single guarded
 * statement; rows are always locked in SKU order, so two transactions never
 * wait on each other in a cycle.
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
   * Adds reservations, each only where `available` still covers it.
   * Returns how many SKUs were reserved; fewer than asked means "not enough".
   */
  async reserve(em: EntityManager, wanted: { sku: string; quantity: number }[]): Promise<number> {
    const [, count] = await em.query<[unknown, number]>(
      `UPDATE stock s SET reserved = s.reserved + w.quantity, updated_at = now()
         FROM unnest($1::text[], $2::int[]) AS w(sku, quantity)
        WHERE s.sku = w.sku AND s.on_hand - s.reserved >= w.quantity`,
      [wanted.map((w) => w.sku), wanted.map((w) => w.quantity)],
    );
    return count;
  }

  /** Creates the SKU with nothing on hand when it does not exist yet. */
  async ensureSku(em: EntityManager, sku: string): Promise<void> {
    await em.query(`INSERT INTO stock (sku) VALUES ($1) ON CONFLICT (sku) DO NOTHING`, [sku]);
  }

  /** Sets on_hand unless that would fall below reserved; returns the new row, or undefined when refused. */
  async setOnHand(em: EntityManager, sku: string, onHand: number): Promise<StockRow | undefined> {
    const [rows] = await em.query<[StockRow[], number]>(
      `UPDATE stock SET on_hand = $2, updated_at = now()
        WHERE sku = $1 AND reserved <= $2
        RETURNING sku, on_hand, reserved, updated_at`,
      [sku, onHand],
    );
    return rows[0];
  }

  async find(em: EntityManager, sku: string): Promise<StockRow | undefined> {
    const rows: StockRow[] = await em.query(
      `SELECT sku, on_hand, reserved, updated_at FROM stock WHERE sku = $1`,
      [sku],
    );
    return rows[0];
  }

  /** Writes ledger rows; every counter change goes with one. */
  async recordMovements(em: EntityManager, movements: Movement[]): Promise<void> {
    if (movements.length === 0) return;
    await em.query(
      `INSERT INTO stock_movements (sku, kind, on_hand_delta, reserved_delta, order_id, webhook_event_id, reason)
       SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::int[], $5::text[], $6::bigint[], $7::text[])`,
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
  }
}
