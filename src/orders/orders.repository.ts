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

export interface HistoryEntry {
  orderId: string;
  from: OrderStatus | null;
  to: OrderStatus;
  reason: string | null;
  webhookEventId: string | null;
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
   * Takes the transaction-scoped locks of order ids. Every event for an order
   * takes its lock first, so they never interleave, even before the row
   * exists. Several are taken in one fixed order (of their keys), so two
   * transactions locking overlapping sets never wait on each other in a cycle.
   */
  async lockOrderKeys(em: EntityManager, orderIds: string[]): Promise<void> {
    await em.query(
      `SELECT pg_advisory_xact_lock(key)
         FROM (SELECT DISTINCT hashtextextended('order:' || id, 0) AS key FROM unnest($1::text[]) AS id ORDER BY key) AS keys`,
      [orderIds],
    );
  }

  /**
   * Inserts orders (of distinct ids) and their lines in one statement; returns
   * the ids of those inserted: an order whose id exists already is skipped.
   */
  async insert(em: EntityManager, orders: NewOrderRow[]): Promise<Set<string>> {
    const lines = orders.flatMap((order) => order.lines.map((line) => ({ orderId: order.orderId, ...line })));
    const inserted: { order_id: string }[] = await em.query(
      `WITH o AS (
         INSERT INTO orders (order_id, status, customer_name, customer_email, total_amount, currency, source)
         SELECT order_id, status, customer_name, customer_email, total_amount, currency, source
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::numeric[], $6::text[], $7::text[])
                WITH ORDINALITY AS o(order_id, status, customer_name, customer_email, total_amount, currency, source, n)
          ORDER BY n
         ON CONFLICT (order_id) DO NOTHING
         RETURNING order_id
       ), l AS (
         INSERT INTO order_lines (order_id, line_no, sku, quantity, unit_price)
         SELECT l.order_id, row_number() OVER (PARTITION BY l.order_id ORDER BY l.n), l.sku, l.quantity, l.unit_price
           FROM unnest($8::text[], $9::text[], $10::int[], $11::numeric[]) WITH ORDINALITY AS l(order_id, sku, quantity, unit_price, n)
           JOIN o USING (order_id)
       )
       SELECT order_id FROM o`,
      [
        orders.map((o) => o.orderId),
        orders.map((o) => o.status),
        orders.map((o) => o.customerName),
        orders.map((o) => o.customerEmail),
        orders.map((o) => o.totalAmount),
        orders.map((o) => o.currency),
        orders.map((o) => o.source),
        lines.map((l) => l.orderId),
        lines.map((l) => l.sku),
        lines.map((l) => l.quantity),
        lines.map((l) => l.unitPrice),
      ],
    );
    return new Set(inserted.map((row) => row.order_id));
  }

  /** The statuses of the orders that exist among `orderIds`. */
  async findStatuses(em: EntityManager, orderIds: string[]): Promise<Map<string, OrderStatus>> {
    const rows: { order_id: string; status: OrderStatus }[] = await em.query(
      `SELECT order_id, status FROM orders WHERE order_id = ANY($1::text[])`,
      [orderIds],
    );
    return new Map(rows.map((row) => [row.order_id, row.status]));
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

  /** New orders that could not have their stock: `rejected`, from `pending`. */
  async reject(em: EntityManager, orderIds: string[], reason: string): Promise<void> {
    await em.query(
      `UPDATE orders SET status = 'rejected', status_reason = $2, updated_at = now() WHERE order_id = ANY($1::text[]) AND status = 'pending'`,
      [orderIds, reason],
    );
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

  async addHistory(em: EntityManager, entries: HistoryEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await em.query(
      `INSERT INTO order_status_history (order_id, from_status, to_status, reason, webhook_event_id)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[])`,
      [
        entries.map((e) => e.orderId),
        entries.map((e) => e.from),
        entries.map((e) => e.to),
        entries.map((e) => e.reason),
        entries.map((e) => e.webhookEventId),
      ],
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
