import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AppError } from '../common/app-error.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { InventoryService } from '../inventory/inventory.service.js';
import type { OrderStatus } from './order-status.js';
import { OrdersRepository } from './orders.repository.js';
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
  | { created: true; status: OrderStatus; reason: string | null }
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
  history: { from_status: string | null; to_status: string; reason: string | null; at: string }[];
  created_at: string;
  updated_at: string;
}

export const INSUFFICIENT_STOCK = 'insufficient_stock';

@Injectable()
export class OrdersService {
  constructor(
    private readonly orders: OrdersRepository,
    private readonly inventory: InventoryService,
    private readonly transactions: TransactionRunner,
  ) {}

  /**
   * Creates an order from a delivery, in the caller's transaction: `pending`
   * with every line reserved, or `rejected` with nothing reserved. An order id
   * seen before changes nothing.
   */
  async createOrder(
    em: EntityManager,
    command: CreateOrderCommand,
    cause: { source: string; webhookEventId: string },
  ): Promise<CreateOrderResult> {
    await this.orders.lockOrderKey(em, command.orderId);
    const inserted = await this.orders.insert(em, { ...command, status: 'pending', source: cause.source });
    if (!inserted) {
      return { created: false, status: (await this.orders.findStatus(em, command.orderId))! };
    }

    const reservation = await this.inventory.reserveForOrder(
      em,
      command.orderId,
      command.lines,
      cause.webhookEventId,
    );
    const status: OrderStatus = reservation.reserved ? 'pending' : 'rejected';
    const reason = reservation.reserved ? null : INSUFFICIENT_STOCK;
    if (!reservation.reserved) await this.orders.setStatus(em, command.orderId, status, reason);
    await this.orders.addHistory(em, {
      orderId: command.orderId,
      from: null,
      to: status,
      reason: reservation.reserved ? null : `${INSUFFICIENT_STOCK}: ${reservation.shortSkus.join(', ')}`,
      webhookEventId: cause.webhookEventId,
    });
    return { created: true, status, reason };
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
      at: h.createdAt.toISOString(),
    })),
    created_at: order.createdAt.toISOString(),
    updated_at: order.updatedAt.toISOString(),
  };
}
