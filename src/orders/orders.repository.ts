import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { amountAsNumber } from '../database/amount-column.js';
import { queryRows } from '../database/query-rows.js';
import type { RefusedChange } from '../inventory/stock.repository.js';
import { UNIT_DELTAS } from '../inventory/stock-movement-kind.js';
import type { EditPlan, HeldLine } from './line-plans.js';
import { Order } from './order.entity.js';
import { type OrderKey, orderLabel } from './order-key.js';
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
  lines: { sku: string | null; quantity: number; unitPrice: number | null }[];
  /** A gateway's version of the order as created (its first snapshot). */
  version?: string;
}

export interface OrderSummaryRow {
  source: string;
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

/** How a new order is created in either status, as the state machine decides (order-state-machine.ts). */
export interface CreationStatuses {
  whenReserved: OrderStatus;
  whenShort: OrderStatus;
  reasonWhenShort: string;
}

/** The ledger's rule for one unit of each kind, as the order functions take it (p_unit_deltas). */
const UNIT_DELTAS_JSON = JSON.stringify(
  Object.fromEntries(Object.entries(UNIT_DELTAS).map(([kind, delta]) => [kind, { on_hand: delta.onHand, reserved: delta.reserved }])),
);

/** What an order's stock movement did: refused SKUs (any: the caller rolls back), and the units moved per SKU. */
export interface OrderStockMoved {
  refused: RefusedChange[];
  moved: { sku: string; quantity: number }[];
}

export interface StatusChange {
  order: OrderKey;
  from: OrderStatus;
  to: OrderStatus;
  reason: string | null;
  webhookEventId: string | null;
}

/**
 * Orders, their lines and history. The rules are database functions in
 * `src/orders/sql/`: the order lock (lock_orders.sql), a status change with
 * its history row (record_status_changes.sql), creation with its stock
 * allocation (create_orders.sql), and a line's counters with the ledger rows
 * that move its units (move_order_lines.sql).
 */
@Injectable()
export class OrdersRepository {
  /**
   * Takes the transaction-scoped lock of one order id, then reads the
   * orders of that id among `sources` with their statuses (none: no such
   * order yet; several: the id is ambiguous among them), in one round trip
   * (lock_orders.sql).
   */
  async lockAndFind(em: EntityManager, orderId: string, sources: readonly string[]): Promise<{ source: string; status: OrderStatus }[]> {
    return queryRows(em, `SELECT source, status FROM shelfsync_lock_order_status(p_order_id => $1, p_sources => $2::text[])`, [orderId, sources]);
  }

  /** The order's status, under its lock (undefined: no such order). */
  async lockAndReadStatus(em: EntityManager, key: OrderKey): Promise<OrderStatus | undefined> {
    const [found] = await this.lockAndFind(em, key.orderId, [key.source]);
    return found?.status;
  }

  /**
   * Creates orders from claimed new_order events, in one round trip however
   * many (create_orders.sql). For each request, in the order given: whether
   * it created the order, and the order's status.
   */
  async createOrders(
    em: EntityManager,
    orders: NewOrderRow[],
    statuses: CreationStatuses,
  ): Promise<{ created: boolean; status: OrderStatus }[]> {
    const rows = await queryRows<{ created: boolean; status: OrderStatus }>(
      em,
      `SELECT created, status FROM shelfsync_create_orders(
         p_orders => $1::jsonb, p_status_when_reserved => $2, p_status_when_short => $3, p_reason_when_short => $4,
         p_unit_deltas => $5::jsonb)
        ORDER BY request`,
      [
        JSON.stringify(
          orders.map((o) => ({
            order_id: o.orderId,
            customer_name: o.customerName,
            customer_email: o.customerEmail,
            total_amount: o.totalAmount,
            snapshot_version: o.version ?? null,
            currency: o.currency,
            source: o.source,
            webhook_event_id: o.webhookEventId,
            lines: o.lines.map((l) => ({ sku: l.sku, quantity: l.quantity, unit_price: l.unitPrice })),
          })),
        ),
        statuses.whenReserved,
        statuses.whenShort,
        statuses.reasonWhenShort,
        UNIT_DELTAS_JSON,
      ],
    );
    return rows;
  }

  /**
   * Compare-and-set: moves the order to `to` only if it is still in `from`,
   * with its history row (record_status_changes.sql). False when it was not in `from`.
   */
  async changeStatus(em: EntityManager, change: StatusChange): Promise<boolean> {
    const moved = await queryRows(em, `SELECT shelfsync_record_status_changes(p_changes => $1::jsonb)`, [
      JSON.stringify([
        {
          order_source: change.order.source,
          order_id: change.order.orderId,
          from_status: change.from,
          to_status: change.to,
          reason: change.reason,
          webhook_event_id: change.webhookEventId,
        },
      ]),
    ]);
    return moved.length === 1;
  }

  /**
   * Reservation expiry's claim (claim_expired_reservations.sql): up to `limit` orders in `statuses`
   * created at least `ttlMs` ago on the database's clock, oldest first, whose rows no other sweeper
   * holds (SKIP LOCKED) and whose order lock was free; this transaction now holds both.
   */
  async claimExpiredReservations(em: EntityManager, statuses: readonly OrderStatus[], ttlMs: number, limit: number): Promise<OrderKey[]> {
    const rows = await queryRows<{ source: string; order_id: string }>(
      em,
      `SELECT source, order_id FROM shelfsync_claim_expired_reservations(
         p_statuses => $1::order_status[], p_ttl => $2::double precision * interval '1 millisecond', p_limit => $3)`,
      [statuses, ttlMs, limit],
    );
    return rows.map((row) => ({ source: row.source, orderId: row.order_id }));
  }

  /** Whether the order is at least `ttlMs` old on the database's clock (false for no such order). */
  async reservationDue(em: EntityManager, key: OrderKey, ttlMs: number): Promise<boolean> {
    const [{ due }] = await queryRows<{ due: boolean }>(
      em,
      `SELECT shelfsync_reservation_due(p_source => $1, p_order_id => $2, p_ttl => $3::double precision * interval '1 millisecond') AS due`,
      [key.source, key.orderId, ttlMs],
    );
    return due;
  }

  /**
   * Raises an attention item on the order (its reason, and the delivery that
   * caused it, null for none) and flags the order, in one statement, so that
   * needs_attention is true exactly while an item is open. A delivery raises
   * one reason on an order once: applied again (a replay, a deferred delivery
   * tried again), it raises nothing, even after the item was resolved.
   * Tells the storefront (order.needs_attention {order_id, reason}, in this
   * transaction) when the flag goes from false to true: an order already
   * flagged is already in the operator's hands, so a second reason adds an
   * item, not another message. The caller holds the order's lock.
   */
  async flagNeedsAttention(em: EntityManager, key: OrderKey, reason: string, webhookEventId: string | null): Promise<void> {
    await em.query(
      `WITH before AS (SELECT needs_attention AS was FROM orders WHERE source = $1 AND order_id = $2),
            raised AS (
              INSERT INTO order_attention (order_source, order_id, reason, webhook_event_id) VALUES ($1, $2, $3, $4)
              ON CONFLICT (order_source, order_id, webhook_event_id, reason) DO NOTHING
              RETURNING order_id),
            flagged AS (
              UPDATE orders SET needs_attention = true, updated_at = now()
               WHERE source = $1 AND order_id = $2 AND EXISTS (SELECT FROM raised)
              RETURNING source, order_id)
       SELECT shelfsync_notify(jsonb_build_array(jsonb_build_object(
                'type', 'order.needs_attention', 'data', jsonb_build_object('source', f.source, 'order_id', f.order_id, 'reason', $3::text))))
         FROM flagged AS f, before AS b
        WHERE NOT b.was`,
      [key.source, key.orderId, reason, webhookEventId],
    );
  }

  /**
   * Resolves every open attention item of the order with the operator's note
   * and clears its flag, in one statement. Answers how many were open (0:
   * none, and nothing changed). The caller holds the order's lock, so a
   * resolve that waited for another finds nothing open.
   */
  async resolveAttention(em: EntityManager, key: OrderKey, note: string): Promise<number> {
    const [{ resolved }] = await queryRows<{ resolved: number }>(
      em,
      `WITH resolved AS (
         UPDATE order_attention SET resolved_at = now(), note = $3
          WHERE order_source = $1 AND order_id = $2 AND resolved_at IS NULL
         RETURNING id),
       cleared AS (
         UPDATE orders SET needs_attention = false, updated_at = now()
          WHERE source = $1 AND order_id = $2 AND EXISTS (SELECT FROM resolved))
       SELECT count(*)::int AS resolved FROM resolved`,
      [key.source, key.orderId, note],
    );
    return resolved;
  }

  /**
   * Moves the order's units line by line, each line's counters with the
   * ledger row that names it (move_order_lines.sql, the one owner of that
   * rule): `release` and `commit` every unit its lines hold reserved,
   * `restock` every shipped unit not back yet; with `returning` (units that
   * came back), per SKU at most what its lines hold for the kind, earlier
   * lines first, marked returned. The stock rows are locked in SKU order
   * (shelfsync_lock_stock). The caller holds the order's lock.
   */
  async moveStock(
    em: EntityManager,
    key: OrderKey,
    kind: 'release' | 'commit' | 'restock',
    returning: { sku: string; quantity: number }[] | null,
    webhookEventId: string | null,
  ): Promise<OrderStockMoved> {
    const [row] = await queryRows<{ written: number; refused: RefusedChange[]; moved: { sku: string; quantity: number }[] }>(
      em,
      `SELECT written, refused, moved FROM shelfsync_move_order_stock(
         p_order_source => $1, p_order_id => $2, p_kind => $3, p_returning => $4::jsonb, p_webhook_event_id => $5::bigint, p_unit_deltas => $6::jsonb)`,
      [key.source, key.orderId, kind, returning === null ? null : JSON.stringify(returning), webhookEventId, UNIT_DELTAS_JSON],
    );
    return { refused: row.refused, moved: row.moved };
  }

  /** The order's lines as they hold their units, in line order. */
  async heldLines(em: EntityManager, key: OrderKey): Promise<HeldLine[]> {
    return queryRows<HeldLine>(
      em,
      `SELECT line_no AS "lineNo", sku, quantity, reserved_quantity AS reserved, fulfilled_quantity AS fulfilled, returned_quantity AS returned
         FROM order_lines WHERE order_source = $1 AND order_id = $2 ORDER BY line_no`,
      [key.source, key.orderId],
    );
  }

  /**
   * An edit of the order's lines (line-plans.ts planEdit), carried out: the
   * lines added, each line's quantity raised before its units are reserved
   * and lowered after its units are released (so its CHECKs hold at every
   * statement), the units moved line by line with their ledger rows
   * (move_order_lines.sql); `reserve` false leaves the units asked for
   * unreserved (edit_short). Returns the SKUs the stock guard refused.
   */
  async editLines(em: EntityManager, key: OrderKey, plan: EditPlan, reserve: boolean, webhookEventId: string | null): Promise<RefusedChange[]> {
    if (plan.added.length > 0) {
      await em.query(
        `INSERT INTO order_lines (order_source, order_id, line_no, sku, quantity, unit_price)
         SELECT $1, $2, a.line_no, a.sku, a.quantity, a.unit_price FROM jsonb_to_recordset($3::jsonb) AS a(line_no integer, sku text, quantity integer, unit_price numeric)`,
        [key.source, key.orderId, JSON.stringify(plan.added.map((a) => ({ line_no: a.lineNo, sku: a.sku, quantity: a.quantity, unit_price: a.unitPrice })))],
      );
    }
    const setQuantities = (raise: boolean) =>
      em.query(
        `UPDATE order_lines l SET quantity = q.quantity
           FROM jsonb_to_recordset($3::jsonb) AS q(line_no integer, quantity integer)
          WHERE l.order_source = $1 AND l.order_id = $2 AND l.line_no = q.line_no AND (q.quantity > l.quantity) = $4`,
        [key.source, key.orderId, JSON.stringify(plan.quantities.map((q) => ({ line_no: q.lineNo, quantity: q.quantity }))), raise],
      );
    if (plan.quantities.length > 0) await setQuantities(true);
    const moves = [
      ...plan.release.map((m) => ({ line_no: m.lineNo, kind: 'release', units: m.units })),
      ...(reserve ? plan.reserve.map((m) => ({ line_no: m.lineNo, kind: 'reserve', units: m.units })) : []),
    ].map((m) => ({ order_source: key.source, order_id: key.orderId, webhook_event_id: webhookEventId, ...m }));
    let refused: RefusedChange[] = [];
    if (moves.length > 0) {
      const [row] = await queryRows<{ refused: RefusedChange[] }>(
        em,
        `SELECT refused FROM shelfsync_move_order_lines(p_moves => $1::jsonb, p_unit_deltas => $2::jsonb)`,
        [JSON.stringify(moves), UNIT_DELTAS_JSON],
      );
      refused = row.refused;
    }
    if (plan.quantities.length > 0) await setQuantities(false);
    return refused;
  }

  /** The newest gateway version of the order applied (null: none yet). */
  async snapshotVersion(em: EntityManager, key: OrderKey): Promise<Date | null> {
    const [row] = await queryRows<{ snapshot_version: Date | null }>(em, `SELECT snapshot_version FROM orders WHERE source = $1 AND order_id = $2`, [
      key.source,
      key.orderId,
    ]);
    return row?.snapshot_version ?? null;
  }

  /** Keeps `version` as the order's newest applied, and its total when the edit says it. */
  async keepSnapshot(em: EntityManager, key: OrderKey, version: string | null, totalAmount: number | null): Promise<void> {
    await em.query(
      `UPDATE orders SET snapshot_version = coalesce($3::timestamptz, snapshot_version), total_amount = coalesce($4::numeric, total_amount), updated_at = now()
        WHERE source = $1 AND order_id = $2`,
      [key.source, key.orderId, version, totalAmount],
    );
  }

  /** Whether the order shipped the parcel of this id before. */
  async parcelShipped(em: EntityManager, key: OrderKey, parcelId: string): Promise<boolean> {
    const rows = await queryRows(em, `SELECT 1 FROM order_parcels WHERE order_source = $1 AND order_id = $2 AND parcel_id = $3`, [key.source, key.orderId, parcelId]);
    return rows.length > 0;
  }

  /** Records that the order shipped the parcel of this id. */
  async recordParcel(em: EntityManager, key: OrderKey, parcelId: string, webhookEventId: string | null): Promise<void> {
    await em.query(`INSERT INTO order_parcels (order_source, order_id, parcel_id, webhook_event_id) VALUES ($1, $2, $3, $4)`, [
      key.source,
      key.orderId,
      parcelId,
      webhookEventId,
    ]);
  }

  /**
   * The SKUs the lines of orders with these ids name, among the orders of
   * `sources` (orders that do not exist name none): for locking, where a row
   * more is harmless.
   */
  async skusOf(em: EntityManager, orderIds: string[], sources: readonly string[]): Promise<string[]> {
    // both leading columns of the lines' primary key, so it is read through it (order_id alone: a scan)
    const rows = await queryRows<{ sku: string }>(
      em,
      `SELECT DISTINCT sku FROM order_lines WHERE order_source = ANY($2::text[]) AND order_id = ANY($1::text[]) AND sku IS NOT NULL`,
      [orderIds, sources],
    );
    return rows.map((row) => row.sku);
  }

  /** The units the order was placed for, per SKU (null: its lines without one), whatever came back since. */
  async orderedUnits(em: EntityManager, key: OrderKey): Promise<{ sku: string | null; quantity: number }[]> {
    return queryRows(
      em,
      `SELECT sku, sum(quantity)::int AS quantity FROM order_lines WHERE order_source = $1 AND order_id = $2 GROUP BY sku`,
      [key.source, key.orderId],
    );
  }

  /**
   * The order's total (exact decimal text: amount-column.ts) and currency,
   * which a payment must cover, and the payment id it keeps (null: none).
   */
  async paymentTerms(em: EntityManager, key: OrderKey): Promise<{ totalAmount: string; currency: string; paymentId: string | null }> {
    const [row] = await queryRows<{ total_amount: string; currency: string; payment_id: string | null }>(
      em,
      `SELECT total_amount, currency, payment_id FROM orders WHERE source = $1 AND order_id = $2`,
      [key.source, key.orderId],
    );
    if (!row) throw new Error(`order ${orderLabel(key)} has no row while locked`);
    return { totalAmount: row.total_amount, currency: row.currency, paymentId: row.payment_id };
  }

  /** Keeps the gateway's payment id on the order, so that events naming only the payment find it. */
  async keepPaymentId(em: EntityManager, key: OrderKey, paymentId: string): Promise<void> {
    await em.query(`UPDATE orders SET payment_id = $3 WHERE source = $1 AND order_id = $2`, [key.source, key.orderId, paymentId]);
  }

  /** The id of the order a payment paid among the orders of `sources`, if one did (the payment id kept by keepPaymentId). */
  async orderIdOfPayment(em: EntityManager, paymentId: string, sources: readonly string[]): Promise<string | undefined> {
    const [row] = await queryRows<{ order_id: string }>(
      em,
      `SELECT order_id FROM orders WHERE payment_id = $1 AND source = ANY($2::text[]) ORDER BY seq LIMIT 1`,
      [paymentId, sources],
    );
    return row?.order_id;
  }

  /**
   * Orders newest first (by arrival) before the keyset position `beforeSeq`,
   * optionally of one status or source, and only flagged (or only unflagged) ones.
   */
  async list(
    em: EntityManager,
    query: { status?: OrderStatus; source?: string; needsAttention?: boolean; beforeSeq?: string; limit: number },
  ): Promise<OrderSummaryRow[]> {
    const conditions: string[] = [];
    const params: unknown[] = [];
    // Conditions are added only when given, so each shape of query gets a plan that uses its index.
    if (query.status) conditions.push(`status = $${params.push(query.status)}`);
    if (query.source) conditions.push(`source = $${params.push(query.source)}`);
    // Written out, not bound, so that every plan of the flagged list can use orders_needs_attention_idx.
    if (query.needsAttention !== undefined) conditions.push(query.needsAttention ? `needs_attention` : `NOT needs_attention`);
    if (query.beforeSeq) conditions.push(`seq < $${params.push(query.beforeSeq)}::bigint`);
    const rows = await queryRows<Omit<OrderSummaryRow, 'total_amount'> & { total_amount: string }>(
      em,
      `SELECT source, order_id, status, status_reason, needs_attention, customer_name, total_amount,
              currency, created_at, updated_at, seq::text AS position
         FROM orders
        ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''}
        ORDER BY seq DESC
        LIMIT $${params.push(query.limit)}`,
      params,
    );
    return rows.map((row) => ({ ...row, total_amount: amountAsNumber(row.total_amount) }));
  }

  /** The sources that have an order of this id, in name order. */
  async sourcesWithOrder(em: EntityManager, orderId: string): Promise<string[]> {
    const rows = await queryRows<{ source: string }>(em, `SELECT source FROM orders WHERE order_id = $1 ORDER BY source`, [orderId]);
    return rows.map((row) => row.source);
  }

  /** The order with its lines (in line order), history and attention items (both oldest first). */
  async findWithDetails(em: EntityManager, key: OrderKey): Promise<Order | null> {
    return em.getRepository(Order).findOne({
      where: { source: key.source, orderId: key.orderId },
      relations: { lines: true, history: true, attention: true },
      order: { lines: { lineNo: 'ASC' }, history: { id: 'ASC' }, attention: { id: 'ASC' } },
    });
  }
}
