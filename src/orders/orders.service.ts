import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AppError } from '../common/app-error.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { InventoryService } from '../inventory/inventory.service.js';
import type { OrderStatus } from './order-status.js';
import { CREATION, decide, ORDER_ALREADY_EXISTS, stockMovementOf } from './order-state-machine.js';
import type { CommandCause, CreateOrderCommand, LifecycleCommand, OrderCommand, OrderOutcome } from './order-commands.js';
import { type OrderSummaryRow, OrdersRepository } from './orders.repository.js';
import { decodeCursor, DEFAULT_PAGE_SIZE, ID_KEY, type Page, toPage } from '../common/pagination.js';
import type { Order } from './order.entity.js';

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

@Injectable()
export class OrdersService {
  constructor(
    private readonly orders: OrdersRepository,
    private readonly inventory: InventoryService,
    private readonly transactions: TransactionRunner,
  ) {}

  /**
   * Carries out commands in the caller's transaction, with the outcomes they
   * would have had one after another in the order given. Consecutive
   * creations go together in one statement (group commit), whatever their
   * number: the stock goes to earlier orders first, and an order id is
   * created only once.
   */
  async apply(em: EntityManager, requests: { command: OrderCommand; cause: CommandCause }[]): Promise<OrderOutcome[]> {
    const outcomes: OrderOutcome[] = [];
    for (let i = 0; i < requests.length; ) {
      const { command, cause } = requests[i];
      if (command.kind === 'lifecycle') {
        outcomes.push(await this.applyLifecycleEvent(em, command, cause));
        i++;
        continue;
      }
      let end = i;
      while (end < requests.length && requests[end].command.kind === 'create_order') end++;
      outcomes.push(...(await this.createOrders(em, requests.slice(i, end) as { command: CreateOrderCommand; cause: CommandCause }[])));
      i = end;
    }
    return outcomes;
  }

  /**
   * Creates orders, each `pending` with every line reserved or `rejected`
   * with nothing reserved, as the state machine's CREATION says; an order id
   * seen before changes nothing.
   */
  private async createOrders(em: EntityManager, requests: { command: CreateOrderCommand; cause: CommandCause }[]): Promise<OrderOutcome[]> {
    const results = await this.orders.createOrders(
      em,
      requests.map(({ command, cause }) => ({ ...command, source: cause.source, webhookEventId: cause.webhookEventId })),
      CREATION,
    );
    return results.map(({ created, status }): OrderOutcome =>
      created
        ? { result: 'applied', reason: status === CREATION.whenShort ? CREATION.reasonWhenShort : null, status }
        : { result: 'ignored', reason: ORDER_ALREADY_EXISTS, status },
    );
  }

  /**
   * Applies a lifecycle event to an order as the state machine decides: apply
   * it (compare-and-set with its history row, and its stock movement), defer
   * it until the order reaches a status that allows it, or ignore it for good
   * (flagging the order when the state machine says so).
   */
  private async applyLifecycleEvent(em: EntityManager, command: LifecycleCommand, cause: CommandCause): Promise<OrderOutcome> {
    const status = await this.orders.lockAndReadStatus(em, command.orderId);
    const decision = decide(status, command.event);
    if (decision.kind === 'defer') return { result: 'deferred', reason: decision.reason, status };
    if (decision.kind === 'ignore') {
      if (decision.flag) await this.orders.flagNeedsAttention(em, command.orderId);
      return { result: 'ignored', reason: decision.reason, status };
    }

    const { transition } = decision;
    const moved = await this.orders.changeStatus(em, {
      orderId: command.orderId,
      from: transition.from,
      to: transition.to,
      reason: command.reason,
      webhookEventId: cause.webhookEventId,
    });
    // The order is locked, so the status read above cannot have changed.
    if (!moved) throw new Error(`order ${command.orderId} left status ${transition.from} while locked`);
    if (transition.needsAttention) await this.orders.flagNeedsAttention(em, command.orderId);
    const movement = stockMovementOf(transition, command.restock);
    if (movement) {
      const lines = await this.orders.quantitiesBySku(em, command.orderId);
      await this.inventory.moveOrderStock(em, command.orderId, lines, movement, cause.webhookEventId);
    }
    return { result: 'applied', reason: null, status: transition.to };
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
