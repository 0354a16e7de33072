import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AppError } from '../common/app-error.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { InventoryService } from '../inventory/inventory.service.js';
import { type OrderKey, orderLabel } from './order-key.js';
import type { OrderStatus } from './order-status.js';
import {
  CREATION,
  decide,
  decideExpiry,
  decidePayment,
  EXPIRING_STATUSES,
  type ExpiryTransition,
  AMBIGUOUS_ORDER,
  NOTHING_LEFT_TO_RETURN,
  ORDER_ALREADY_EXISTS,
  ORDER_NOT_FOUND,
  PARTIAL_REFUND,
  paymentCovers,
  refundCoversOrder,
  returnMovementOf,
  stockMovementOf,
} from './order-state-machine.js';
import {
  createsOrderOnly,
  type CommandCause,
  type CreateOrderCommand,
  type LifecycleCommand,
  type OrderCommand,
  type OrderOutcome,
  outcomeOfSequence,
  type ReturnUnitsCommand,
} from './order-commands.js';
import { OrderMovedHooks } from './order-moved-hooks.js';
import { type OrderSummaryRow, OrdersRepository } from './orders.repository.js';
import { decodeCursor, DEFAULT_PAGE_SIZE, ID_KEY, type Page, toPage } from '../common/pagination.js';
import { amountAsNumber } from '../database/amount-column.js';
import type { Order } from './order.entity.js';

export interface OrderView {
  source: string;
  order_id: string;
  status: OrderStatus;
  status_reason: string | null;
  needs_attention: boolean;
  customer_name: string;
  customer_email: string | null;
  total_amount: number;
  currency: string;
  payment_id: string | null;
  /** Per line: units ordered, held reserved now, shipped, and come back. */
  items: {
    sku: string | null;
    quantity: number;
    unit_price: number | null;
    reserved_quantity: number;
    fulfilled_quantity: number;
    returned_quantity: number;
  }[];
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
    private readonly orderMoved: OrderMovedHooks,
  ) {}

  /**
   * Carries out the commands of deliveries in the caller's transaction, with
   * the outcomes they would have had one after another in the order given:
   * one outcome per delivery (outcomeOfSequence). Consecutive deliveries that
   * each create an order go together in one statement (group commit),
   * whatever their number: the stock goes to earlier orders first, and an
   * order id is created only once.
   */
  async apply(em: EntityManager, requests: { commands: readonly OrderCommand[]; cause: CommandCause }[]): Promise<OrderOutcome[]> {
    const outcomes: OrderOutcome[] = [];
    const createsOnly = (i: number) => createsOrderOnly(requests[i].commands);
    for (let i = 0; i < requests.length; ) {
      if (!createsOnly(i)) {
        outcomes.push(await this.applySequence(em, requests[i].commands, requests[i].cause));
        i++;
        continue;
      }
      let end = i;
      while (end < requests.length && createsOnly(end)) end++;
      outcomes.push(
        ...(await this.createOrders(em, requests.slice(i, end).map(({ commands, cause }) => ({ command: commands[0] as CreateOrderCommand, cause })))),
      );
      i = end;
    }
    return outcomes;
  }

  /**
   * Locks, in one statement and in SKU order, every stock row these commands
   * can move: the lines of the orders they create, and of the orders they name
   * that exist. For a caller that applies them in several statements in one
   * transaction: each statement locks its own rows in SKU order, but one
   * statement's SKUs after another's are not in that order, and two such
   * transactions could each hold a row the other waits for.
   */
  async lockStockOf(em: EntityManager, commands: readonly OrderCommand[]): Promise<void> {
    const skus = new Set<string>();
    for (const command of commands) {
      if (command.kind !== 'create_order') continue;
      for (const line of command.lines) if (line.sku !== null) skus.add(line.sku);
    }
    for (const sku of await this.orders.skusOf(em, [...new Set(commands.map((command) => command.orderId))])) skus.add(sku);
    await this.inventory.lockStock(em, [...skus]);
  }

  /**
   * The order a command names, under the lock of its id: among the orders of
   * the sources the delivery reaches (CommandCause.orderSources), none (not
   * known yet), one, or several (the id is ambiguous among those sources).
   */
  private async locate(
    em: EntityManager,
    orderId: string,
    cause: CommandCause,
  ): Promise<{ kind: 'found'; key: OrderKey; status: OrderStatus } | { kind: 'missing' } | { kind: 'ambiguous'; sources: string[] }> {
    const found = await this.orders.lockAndFind(em, orderId, cause.orderSources);
    if (found.length === 0) return { kind: 'missing' };
    if (found.length > 1) return { kind: 'ambiguous', sources: found.map((order) => order.source) };
    return { kind: 'found', key: { source: found[0].source, orderId }, status: found[0].status };
  }

  /** One delivery's commands in turn, up to the first that must wait. */
  private async applySequence(em: EntityManager, commands: readonly OrderCommand[], cause: CommandCause): Promise<OrderOutcome> {
    if (commands.length === 0) throw new Error('a delivery with no command reached the orders domain');
    const outcomes: OrderOutcome[] = [];
    for (const command of commands) {
      const outcome = await this.applyOne(em, command, cause);
      outcomes.push(outcome);
      if (outcome.result === 'deferred') break;
    }
    return outcomeOfSequence(outcomes);
  }

  private async applyOne(em: EntityManager, command: OrderCommand, cause: CommandCause): Promise<OrderOutcome> {
    switch (command.kind) {
      case 'create_order':
        return (await this.createOrders(em, [{ command, cause }]))[0];
      case 'lifecycle':
        return this.applyLifecycleEvent(em, command, cause);
      case 'return_units':
        return this.returnUnits(em, command, cause);
    }
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
    const located = await this.locate(em, command.orderId, cause);
    if (located.kind === 'ambiguous') return ambiguous(located.sources);
    if (located.kind === 'missing') return { result: 'deferred', reason: ORDER_NOT_FOUND };
    const { key: order, status } = located;
    let decision = decide(status, command.event);
    if (decision.kind === 'apply' && command.payment) {
      decision = decidePayment(decision, paymentCovers(command.payment, await this.orders.paymentTerms(em, order)));
    }
    if (decision.kind === 'apply' && command.onlyIfRefunding && !refundCoversOrder(await this.orders.orderedUnits(em, order), command.onlyIfRefunding)) {
      decision = { kind: 'ignore', reason: PARTIAL_REFUND, flag: false };
    }
    if (decision.kind === 'defer') return { result: 'deferred', reason: decision.reason, status };
    if (decision.kind === 'ignore') {
      if (decision.flag) await this.orders.flagNeedsAttention(em, order, decision.reason);
      return { result: 'ignored', reason: decision.reason, status };
    }

    const { transition } = decision;
    const moved = await this.orders.changeStatus(em, {
      order,
      from: transition.from,
      to: transition.to,
      reason: command.reason,
      webhookEventId: cause.webhookEventId,
    });
    // The order is locked, so the status read above cannot have changed.
    if (!moved) throw new Error(`order ${orderLabel(order)} left status ${transition.from} while locked`);
    if (transition.needsAttention) await this.orders.flagNeedsAttention(em, order, `${transition.on}_on_${transition.from}_order`);
    if (command.paymentId && transition.on === 'payment_succeeded') await this.orders.keepPaymentId(em, order, command.paymentId);
    const movement = stockMovementOf(transition, command.restock);
    if (movement) await this.moveStock(em, order, movement, null, cause.webhookEventId);
    return { result: 'applied', reason: null, status: transition.to };
  }

  /**
   * Units of an order come back (a partial refund with restock): released
   * while reserved, back on hand once shipped (returnMovementOf), never more
   * of a SKU than the order still holds. The status does not change.
   */
  private async returnUnits(em: EntityManager, command: ReturnUnitsCommand, cause: CommandCause): Promise<OrderOutcome> {
    const located = await this.locate(em, command.orderId, cause);
    if (located.kind === 'ambiguous') return ambiguous(located.sources);
    if (located.kind === 'missing') return { result: 'deferred', reason: ORDER_NOT_FOUND };
    const { key: order, status } = located;
    const movement = returnMovementOf(status);
    if (!movement) return { result: 'ignored', reason: `no_units_to_return: ${status} order`, status };
    const returned = await this.moveStock(em, order, movement, command.lines, cause.webhookEventId);
    if (returned.length === 0) return { result: 'ignored', reason: NOTHING_LEFT_TO_RETURN, status };
    return { result: 'applied', reason: null, status };
  }

  /**
   * Moves the order's units line by line (OrdersRepository.moveStock: each
   * line's counters with its ledger row), all of `kind` its lines hold, or
   * the units `returning` names. A refusal means the order's stock no longer
   * matches its lines: thrown, so the caller's transaction rolls back.
   */
  private async moveStock(
    em: EntityManager,
    order: OrderKey,
    kind: 'release' | 'commit' | 'restock',
    returning: { sku: string; quantity: number }[] | null,
    webhookEventId: string | null,
  ): Promise<{ sku: string; quantity: number }[]> {
    const { refused, moved } = await this.orders.moveStock(em, order, kind, returning, webhookEventId);
    if (refused.length > 0) {
      throw new Error(`${kind} of order ${orderLabel(order)} refused for ${refused.map((r) => `SKU "${r.sku}" (${r.refusal})`).join(', ')}: its stock no longer matches`);
    }
    return moved;
  }

  /**
   * Reservation expiry, in the caller's transaction: claims up to `limit`
   * unpaid orders at least `ttlMs` old on the database's clock (rows SKIP
   * LOCKED, order locks only when free: claim_expired_reservations.sql), reads
   * each status again under its lock, and carries out the state machine's
   * decideExpiry: cancelled with reason reservation_expired, its history row,
   * its reservations released with their ledger rows. The stock rows of all of
   * them are locked first, together, in SKU order, after the order locks (the
   * lock order of every transaction). Deliveries that waited for an expired
   * order are settled in the same transaction (OrderMovedHooks), as they are
   * when a delivery cancels it. An order whose change fails (its stock
   * no longer matches) is rolled back to its savepoint alone, logged by the
   * caller through `failed`, and the rest go on.
   */
  async expireReservations(
    em: EntityManager,
    ttlMs: number,
    limit: number,
  ): Promise<{ claimed: number; expired: OrderKey[]; failed: { order: OrderKey; error: unknown }[] }> {
    const claimed = await this.orders.claimExpiredReservations(em, EXPIRING_STATUSES, ttlMs, limit);
    const due: { order: OrderKey; transition: ExpiryTransition }[] = [];
    for (const order of claimed) {
      const status = await this.orders.lockAndReadStatus(em, order);
      const decision = decideExpiry(status, await this.orders.reservationDue(em, order, ttlMs), ttlMs);
      if (decision.kind === 'expire') due.push({ order, transition: decision.transition });
    }
    await this.inventory.lockStock(em, await this.orders.skusOf(em, [...new Set(due.map(({ order }) => order.orderId))]));
    const expired: OrderKey[] = [];
    const failed: { order: OrderKey; error: unknown }[] = [];
    for (const { order, transition } of due) {
      const failure = await this.transactions.inSavepoint(
        em,
        async () => {
          const moved = await this.orders.changeStatus(em, { order, from: transition.from, to: transition.to, reason: transition.reason, webhookEventId: null });
          if (!moved) throw new Error(`order ${orderLabel(order)} left status ${transition.from} while locked`);
          const movement = stockMovementOf(transition, false);
          if (movement) await this.moveStock(em, order, movement, null, null);
          // the deliveries that waited for the order (a fulfilment sent before its payment) are settled now
          await this.orderMoved.run(em, order.orderId);
          return undefined;
        },
        (error) => Promise.resolve({ error }),
      );
      if (failure) failed.push({ order, error: failure.error });
      else expired.push(order);
    }
    return { claimed: claimed.length, expired, failed };
  }

  /** The id of the order a gateway's payment paid among the orders of `sources`, if one did (kept when its payment_succeeded applied). */
  async orderIdOfPayment(em: EntityManager, paymentId: string, sources: readonly string[]): Promise<string | undefined> {
    return this.orders.orderIdOfPayment(em, paymentId, sources);
  }

  async list(query: { status?: OrderStatus; source?: string; cursor?: string; limit?: number }): Promise<Page<OrderSummaryView>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const [beforeSeq] = (decodeCursor(query.cursor, [ID_KEY]) ?? []) as [string?];
    const rows = await this.transactions.run((em) => this.orders.list(em, { status: query.status, source: query.source, beforeSeq, limit: limit + 1 }));
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

  /** The sources that have an order with this id. */
  async sourcesOf(orderId: string): Promise<string[]> {
    return this.transactions.run((em) => this.orders.sourcesWithOrder(em, orderId));
  }

  /**
   * One order by its id: the order of `source` when given; otherwise the one
   * order of that id, 409 naming the sources when several have it.
   */
  async get(orderId: string, source?: string): Promise<OrderView> {
    const order = await this.transactions.run(async (em) => {
      if (source !== undefined) return this.orders.findWithDetails(em, { source, orderId });
      const sources = await this.orders.sourcesWithOrder(em, orderId);
      if (sources.length > 1) {
        throw AppError.conflict(
          `sources ${sources.map((s) => `"${s}"`).join(', ')} each have an order "${orderId}": name one with ?source=`,
          AMBIGUOUS_ORDER,
        );
      }
      return sources.length === 1 ? this.orders.findWithDetails(em, { source: sources[0], orderId }) : null;
    });
    if (!order) throw AppError.notFound(source === undefined ? `no order "${orderId}"` : `no order "${orderId}" from source "${source}"`);
    return toOrderView(order);
  }
}

/** Why an event is not applied to any order: its id names orders of several sources it reaches. */
function ambiguous(sources: string[]): OrderOutcome {
  return { result: 'ignored', reason: `${AMBIGUOUS_ORDER}: ${sources.join(', ')}` };
}

function toOrderView(order: Order): OrderView {
  return {
    source: order.source,
    order_id: order.orderId,
    status: order.status,
    status_reason: order.statusReason,
    needs_attention: order.needsAttention,
    customer_name: order.customerName,
    customer_email: order.customerEmail,
    total_amount: amountAsNumber(order.totalAmount),
    currency: order.currency,
    payment_id: order.paymentId,
    items: order.lines.map((l) => ({
      sku: l.sku,
      quantity: l.quantity,
      unit_price: amountAsNumber(l.unitPrice),
      reserved_quantity: l.reservedQuantity,
      fulfilled_quantity: l.fulfilledQuantity,
      returned_quantity: l.returnedQuantity,
    })),
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
