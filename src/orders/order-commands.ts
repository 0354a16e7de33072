import type { LifecycleEventDto } from './dto/lifecycle-event.dto.js';
import type { NewOrderDto } from './dto/new-order.dto.js';
import { type LifecycleEvent, lifecycleRank } from './order-state-machine.js';
import type { OrderStatus } from './order-status.js';

/**
 * What the orders domain is asked to do. A source's provider turns a
 * delivery into one of these (src/webhooks/providers/); the domain never
 * sees where it came from beyond its cause.
 */
export interface CreateOrderCommand {
  kind: 'create_order';
  orderId: string;
  customerName: string;
  customerEmail: string | null;
  totalAmount: number;
  currency: string;
  lines: { sku: string; quantity: number; unitPrice: number | null }[];
}

/** An event that moves an existing order (the state machine's LIFECYCLE_EVENTS). */
export interface LifecycleCommand {
  kind: 'lifecycle';
  orderId: string;
  event: LifecycleEvent;
  reason: string | null;
  restock: boolean;
}

export type OrderCommand = CreateOrderCommand | LifecycleCommand;

/** The delivery behind a command: history rows and ledger rows name it. */
export interface CommandCause {
  source: string;
  /** The webhook_events record of the delivery. */
  webhookEventId: string;
}

/** What became of a command; `status` is the order's after it (when the order exists). */
export interface OrderOutcome {
  result: 'applied' | 'deferred' | 'ignored';
  reason: string | null;
  status?: OrderStatus;
}

export function createOrderCommand(dto: NewOrderDto): CreateOrderCommand {
  return {
    kind: 'create_order',
    orderId: String(dto.order_id),
    customerName: dto.customer_name,
    customerEmail: dto.customer_email ?? null,
    totalAmount: dto.total_amount,
    currency: (dto.currency ?? 'USD').toUpperCase(),
    lines: (dto.items ?? []).map((item) => ({ sku: item.sku, quantity: item.quantity, unitPrice: item.unit_price ?? null })),
  };
}

export function lifecycleCommand(event: LifecycleEvent, dto: LifecycleEventDto): LifecycleCommand {
  return { kind: 'lifecycle', orderId: String(dto.order_id), event, reason: dto.reason ?? null, restock: dto.restock ?? false };
}

/**
 * Deferred commands of one order are tried lowest rank first, whatever order
 * they arrived in (the lifecycle order of the state machine). A creation is
 * never deferred: it is what the others wait for.
 */
export function deferralRank(command: OrderCommand): number {
  return command.kind === 'create_order' ? -1 : lifecycleRank(command.event);
}
