import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Order } from './order.entity.js';
import type { OrderStatus } from './order-status.js';

export interface NewOrderRow {
  orderId: string;
  customerName: string;
  customerEmail: string | null;
  totalAmount: number;
  currency: string;
  source: string;
  /** The webhook_events record of the delivery that creates it. */
  webhookEventId: string;
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
   * (shelfsync_create_orders takes the same locks for the orders it creates.)
   */
  async lockOrderKey(em: EntityManager, orderId: string): Promise<void> {
    await em.query(`SELECT pg_advisory_xact_lock(hashtextextended('order:' || $1, 0))`, [orderId]);
  }

  /**
   * Creates orders from claimed new_order events: the database function
   * shelfsync_create_orders (migrations/1764200000000-hot-path-functions.ts),
   * one round trip however many. It locks the order ids (in one fixed order),
   * inserts the first request of each new id with its lines, locks the stock
   * rows of their SKUs (in SKU order), reserves every order's lines or none
   * in the order given, rejects those short of stock, and writes the ledger
   * and history rows. For each request it answers whether it created the
   * order, the order's status, and whether deferred events wait for it.
   */
  async createOrders(em: EntityManager, orders: NewOrderRow[]): Promise<{ created: boolean; status: OrderStatus; waiting: boolean }[]> {
    const lines = orders.flatMap((order, i) => order.lines.map((line) => ({ request: i + 1, ...line })));
    const [{ results }] = await em.query<{ results: { created: boolean; status: OrderStatus; waiting: boolean }[] }[]>(
      `SELECT shelfsync_create_orders(
                $1::text[], $2::text[], $3::text[], $4::numeric[], $5::text[], $6::text[], $7::bigint[],
                $8::int[], $9::text[], $10::int[], $11::numeric[]) AS results`,
      [
        orders.map((o) => o.orderId),
        orders.map((o) => o.customerName),
        orders.map((o) => o.customerEmail),
        orders.map((o) => o.totalAmount),
        orders.map((o) => o.currency),
        orders.map((o) => o.source),
        orders.map((o) => o.webhookEventId),
        lines.map((l) => l.request),
        lines.map((l) => l.sku),
        lines.map((l) => l.quantity),
        lines.map((l) => l.unitPrice),
      ],
    );
    return results;
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
