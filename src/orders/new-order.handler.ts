import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { NewOrderDto } from '../webhooks/dto/new-order.dto.js';
import type { EventHandler, HandlerContext, HandlerOutcome } from '../webhooks/event-handler.js';
import { parseEventData } from '../webhooks/webhook-envelope.js';
import { type CreateOrderCommand, OrdersService } from './orders.service.js';

/** `new_order`: creates the order, reserving all of its lines or none. */
@Injectable()
export class NewOrderHandler implements EventHandler<CreateOrderCommand> {
  readonly type = 'new_order';
  /** Never deferred: it creates the order the others wait for. */
  readonly deferralRank = -1;

  constructor(private readonly orders: OrdersService) {}

  parse(data: unknown): CreateOrderCommand {
    const dto = parseEventData(NewOrderDto, data);
    return {
      orderId: String(dto.order_id),
      customerName: dto.customer_name,
      customerEmail: dto.customer_email ?? null,
      totalAmount: dto.total_amount,
      currency: (dto.currency ?? 'USD').toUpperCase(),
      lines: (dto.items ?? []).map((item) => ({
        sku: item.sku,
        quantity: item.quantity,
        unitPrice: item.unit_price ?? null,
      })),
    };
  }

  orderIdOf(command: CreateOrderCommand): string {
    return command.orderId;
  }

  async apply(em: EntityManager, command: CreateOrderCommand, context: HandlerContext): Promise<HandlerOutcome> {
    const [outcome] = await this.applyBatch(em, [{ command, context }]);
    return outcome;
  }

  async applyBatch(em: EntityManager, events: { command: CreateOrderCommand; context: HandlerContext }[]): Promise<HandlerOutcome[]> {
    const results = await this.orders.createOrders(
      em,
      events.map(({ command, context }) => ({ command, cause: context })),
    );
    return results.map((result) =>
      result.created
        ? { status: 'processed', reason: result.reason, orderStatus: result.status, waiting: result.waiting }
        : { status: 'ignored', reason: 'order_already_exists', orderStatus: result.status },
    );
  }
}
