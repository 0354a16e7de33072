import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AppError } from '../common/app-error.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { InventoryService } from '../inventory/inventory.service.js';
import type { OrderStatus } from './order-status.js';
import { decide, type LifecycleEvent, TRANSITIONS } from './order-state-machine.js';
import { type OrderSummaryRow, OrdersRepository } from './orders.repository.js';
import { decodeCursor, DEFAULT_PAGE_SIZE, ID_KEY, type Page, toPage } from '../common/pagination.js';
import type { Order } from './order.entity.js';

export interface CreateOrderCommand {
  orderId: string;
  customerName: string;
  customerEmail: string | null;
  totalAmount: number;
  currency: string;
  lines: { sku: string; quantity: number; unitPrice: number | null }[];
}

export type CreateOrderResult =
  /** `waiting`: deferred events wait for the new order. */
  | { created: true; status: OrderStatus; reason: string | null; waiting: boolean }
  | { created: false; status: OrderStatus };

export interface OrderView {
  order_id: string;
  status: OrderStatus;
  status_reason: string | null;
  needs_attention: boolean;
  customer_name: string;
  customer_email: string | null;
  total_amount: number;
  currency: string;
  items: { sku: string; quantity: number; unit_price: number | null }[];
  history: { from_status: string | null; to_status: string; reason: string | null; webhook_event_id: string | null; at: string }[];
  created_at: string;
  updated_at: string;
}

export type OrderSummaryView = Omit<OrderSummaryRow, 'created_at' | 'updated_at' | 'position'> & { created_at: string; updated_at: string };

export const INSUFFICIENT_STOCK = 'insufficient_stock';

export interface LifecycleCommand {
  orderId: string;
  event: LifecycleEvent;
  reason: string | null;
  restock: boolean;
}

export type LifecycleResult =
  | { outcome: 'applied'; status: OrderStatus }
  | { outcome: 'deferred'; reason: string; status?: OrderStatus }
  | { outcome: 'ignored'; reason: string; status: OrderStatus };

/** A payment for an order that will never ship: someone must refund the customer. */
const PAID_FOR_NOTHING: OrderStatus[] = ['rejected', 'cancelled'];

@Injectable()
export class OrdersService {
  constructor(
    private readonly orders: OrdersRepository,
    private readonly inventory: InventoryService,
    private readonly transactions: TransactionRunner,
  ) {}

  /**
   * Creates orders from deliveries, in the caller's transaction: each
   * `pending` with every line reserved, or `rejected` with nothing reserved;
   * an order id seen before changes nothing. Several are created with the
   * outcomes they would have had arriving one by one in the order given: the stock goes to
   * earlier orders first, and a repeated order id is created only once.
   * One statement, whatever the number of orders.
   */
  async createOrders(
    em: EntityManager,
    requests: { command: CreateOrderCommand; cause: { source: string; webhookEventId: string } }[],
  ): Promise<CreateOrderResult[]> {
    const results = await this.orders.createOrders(
      em,
      requests.map(({ command, cause }) => ({ ...command, source: cause.source, webhookEventId: cause.webhookEventId })),
    );
    return results.map(({ created, status, waiting }) =>
      created ? { created, status, reason: status === 'rejected' ? INSUFFICIENT_STOCK : null, waiting } : { created, status },
    );
  }

  /**
   * Applies a lifecycle event to an order, in the caller's transaction, as the
   * state machine decides: apply it (compare-and-set, stock, history), defer it
   * until the order reaches a status that allows it, or ignore it for good.
   */
  async applyLifecycleEvent(
    em: EntityManager,
    command: LifecycleCommand,
    cause: { webhookEventId: string },
  ): Promise<LifecycleResult> {
    await this.orders.lockOrderKey(em, command.orderId);
    const status = await this.orders.findStatus(em, command.orderId);
    if (!status) return { outcome: 'deferred', reason: 'order_not_found' };

    const decision = decide(status, command.event);
    if (decision.kind === 'defer') {
      const needs = TRANSITIONS.filter((t) => t.on === command.event).map((t) => t.from);
      return { outcome: 'deferred', reason: `awaiting_status: ${[...new Set(needs)].join(' or ')}`, status };
    }
    if (decision.kind === 'ignore') {
      if (command.event === 'payment_succeeded' && PAID_FOR_NOTHING.includes(status)) {
        await this.orders.flagNeedsAttention(em, command.orderId);
        return { outcome: 'ignored', reason: `payment_for_${status}_order`, status };
      }
      return { outcome: 'ignored', reason: `transition_not_allowed: ${command.event} on a ${status} order`, status };
    }

    const { transition } = decision;
    const moved = await this.orders.transition(em, command.orderId, transition.from, transition.to, command.reason);
    // The order key is locked, so the status read above cannot have changed.
    if (!moved) throw new Error(`order ${command.orderId} left status ${transition.from} while locked`);
    if (transition.needsAttention) await this.orders.flagNeedsAttention(em, command.orderId);
    const stockMove =
      transition.stock === 'restock_if_asked' ? (command.restock ? 'restock' : undefined) : transition.stock === 'none' ? undefined : transition.stock;
    if (stockMove) {
      const lines = await this.orders.quantitiesBySku(em, command.orderId);
      await this.inventory.moveOrderStock(em, command.orderId, lines, stockMove, cause.webhookEventId);
    }
    await this.orders.addHistory(em, {
      orderId: command.orderId,
      from: transition.from,
      to: transition.to,
      reason: command.reason,
      webhookEventId: cause.webhookEventId,
    });
    return { outcome: 'applied', status: transition.to };
  }

  async list(query: { status?: OrderStatus; cursor?: string; limit?: number }): Promise<Page<OrderSummaryView>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const [beforeSeq] = (decodeCursor(query.cursor, [ID_KEY]) ?? []) as [string?];
    const rows = await this.transactions.run((em) => this.orders.list(em, { status: query.status, beforeSeq, limit: limit + 1 }));
    return toPage(
      rows,
      limit,
      (row) => [row.position],
      ({ position: _position, ...row }) => ({
        ...row,
        created_at: new Date(row.created_at).toISOString(),
        updated_at: new Date(row.updated_at).toISOString(),
      }),
    );
  }

  async get(orderId: string): Promise<OrderView> {
    const order = await this.transactions.run((em) => this.orders.findWithDetails(em, orderId));
    if (!order) throw AppError.notFound(`no order "${orderId}"`);
    return toOrderView(order);
  }
}

function toOrderView(order: Order): OrderView {
  return {
    order_id: order.orderId,
    status: order.status,
    status_reason: order.statusReason,
    needs_attention: order.needsAttention,
    customer_name: order.customerName,
    customer_email: order.customerEmail,
    total_amount: order.totalAmount,
    currency: order.currency,
    items: order.lines.map((l) => ({ sku: l.sku, quantity: l.quantity, unit_price: l.unitPrice })),
    history: order.history.map((h) => ({
      from_status: h.fromStatus,
      to_status: h.toStatus,
      reason: h.reason,
      // GET /webhook-events/:id shows the delivery that caused the change.
      webhook_event_id: h.webhookEventId,
      at: h.createdAt.toISOString(),
    })),
    created_at: order.createdAt.toISOString(),
    updated_at: order.updatedAt.toISOString(),
  };
}
