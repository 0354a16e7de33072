import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Order } from './order.entity.js';
import type { OrderStatus } from './order-status.js';

export interface NewOrderRow {
  orderId: string;
  status: OrderStatus;
  customerName: string;
  customerEmail: string | null;
  totalAmount: number;
  currency: string;
  source: string;
  lines: { sku: string; quantity: number; unitPrice: number | null }[];
}

export interface OrderSummaryRow {
  order_id: string;
  status: OrderStatus;
  status_reason: string | null;
  needs_attention: boolean;
  customer_name: string;
  total_amount: number;
  currency: string;
  created_at: Date;
  updated_at: Date;
  /** The order's arrival number, for the keyset cursor. */
  position: string;
}

@Injectable()
export class OrdersRepository {
  /**
   * Takes the transaction-scoped lock of one order id. Every event for the
   * order takes it first, so they never interleave, even before the row exists.
   */
  async lockOrderKey(em: EntityManager, orderId: string): Promise<void> {
    await em.query(`SELECT pg_advisory_xact_lock(hashtextextended('order:' || $1, 0))`, [orderId]);
  }

  /** Inserts the order and its lines; false when an order with this id exists already. */
  async insert(em: EntityManager, order: NewOrderRow): Promise<boolean> {
    const inserted: unknown[] = await em.query(
      `INSERT INTO orders (order_id, status, customer_name, customer_email, total_amount, currency, source)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (order_id) DO NOTHING
       RETURNING order_id`,
      [order.orderId, order.status, order.customerName, order.customerEmail, order.totalAmount, order.currency, order.source],
    );
    if (inserted.length === 0) return false;
    if (order.lines.length) {
      await em.query(
        `INSERT INTO order_lines (order_id, line_no, sku, quantity, unit_price)
         SELECT $1, line_no, sku, quantity, unit_price
           FROM unnest($2::text[], $3::int[], $4::numeric[]) WITH ORDINALITY AS l(sku, quantity, unit_price, line_no)`,
        [order.orderId, order.lines.map((l) => l.sku), order.lines.map((l) => l.quantity), order.lines.map((l) => l.unitPrice)],
      );
    }
    return true;
  }

  async findStatus(em: EntityManager, orderId: string): Promise<OrderStatus | undefined> {
    const rows: { status: OrderStatus }[] = await em.query(`SELECT status FROM orders WHERE order_id = $1`, [orderId]);
    return rows[0]?.status;
  }

  /** Compare-and-set: moves the order to `to` only if it is still in `from`. */
  async transition(em: EntityManager, orderId: string, from: OrderStatus, to: OrderStatus, reason: string | null): Promise<boolean> {
    const [, changed] = await em.query<[unknown, number]>(
      `UPDATE orders SET status = $3, status_reason = $4, updated_at = now() WHERE order_id = $1 AND status = $2`,
      [orderId, from, to, reason],
    );
    return changed === 1;
  }

  async flagNeedsAttention(em: EntityManager, orderId: string): Promise<void> {
    await em.query(`UPDATE orders SET needs_attention = true, updated_at = now() WHERE order_id = $1`, [orderId]);
  }

  /** The order's quantities per SKU (lines naming the same SKU added up). */
  async quantitiesBySku(em: EntityManager, orderId: string): Promise<{ sku: string; quantity: number }[]> {
    return em.query(
      `SELECT sku, sum(quantity)::int AS quantity FROM order_lines WHERE order_id = $1 GROUP BY sku ORDER BY sku COLLATE "C"`,
      [orderId],
    );
  }

  async addHistory(
    em: EntityManager,
    entry: { orderId: string; from: OrderStatus | null; to: OrderStatus; reason: string | null; webhookEventId: string | null },
  ): Promise<void> {
    await em.query(
      `INSERT INTO order_status_history (order_id, from_status, to_status, reason, webhook_event_id)
       VALUES ($1, $2, $3, $4, $5)`,
      [entry.orderId, entry.from, entry.to, entry.reason, entry.webhookEventId],
    );
  }

  /** Orders newest first (by arrival) before the keyset position `beforeSeq`, optionally of one status. */
  async list(
    em: EntityManager,
    query: { status?: OrderStatus; beforeSeq?: string; limit: number },
  ): Promise<OrderSummaryRow[]> {
    const conditions: string[] = [];
    const params: unknown[] = [];
    // Conditions are added only when given, so each shape of query gets a plan that uses its index.
    if (query.status) conditions.push(`status = $${params.push(query.status)}`);
    if (query.beforeSeq) conditions.push(`seq < $${params.push(query.beforeSeq)}::bigint`);
    return em.query(
      `SELECT order_id, status, status_reason, needs_attention, customer_name, total_amount::float8 AS total_amount,
              currency, created_at, updated_at, seq::text AS position
         FROM orders
        ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''}
        ORDER BY seq DESC
        LIMIT $${params.push(query.limit)}`,
      params,
    );
  }

  /** The order with its lines (in line order) and history (oldest first). */
  async findWithDetails(em: EntityManager, orderId: string): Promise<Order | null> {
    return em.getRepository(Order).findOne({
      where: { orderId },
      relations: { lines: true, history: true },
      order: { lines: { lineNo: 'ASC' }, history: { id: 'ASC' } },
    });
  }
}
