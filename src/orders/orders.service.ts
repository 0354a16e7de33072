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
  type Decision,
  type DecisionFacts,
  decideExpiry,
  EXPIRING_STATUSES,
  type ExpiryTransition,
  AMBIGUOUS_ORDER,
  NOTHING_LEFT_TO_RETURN,
  ORDER_ALREADY_EXISTS,
  ORDER_EDITED,
  type OrderStockEffect,
  STALE,
  paymentCovers,
  refundCoversOrder,
  stockMovementOf,
  UNITS_RETURNED,
} from './order-state-machine.js';
import {
  createsOrderOnly,
  type EditOrderCommand,
  type CommandCause,
  type CreateOrderCommand,
  type LifecycleCommand,
  type OrderCommand,
  type OrderOutcome,
  outcomeOfSequence,
  type ReturnUnitsCommand,
} from './order-commands.js';
import { parcelFacts, planEdit, skusMovedBy, unitsAskedBy } from './line-plans.js';
import { OrderMovedHooks } from './order-moved-hooks.js';
import type { RefusedChange } from '../inventory/stock.repository.js';
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
  /** Every attention item, oldest first: the open ones (resolved_at null) and the order's attention history. */
  attention: AttentionItemView[];
  created_at: string;
  updated_at: string;
}

export interface AttentionItemView {
  reason: string;
  webhook_event_id: string | null;
  raised_at: string;
  resolved_at: string | null;
  note: string | null;
}

/** What POST /orders/:order_id/attention/resolve answers when nothing is open. */
const NO_OPEN_ATTENTION = 'no_open_attention';

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
  async lockStockOf(em: EntityManager, requests: readonly { commands: readonly OrderCommand[]; cause: CommandCause }[]): Promise<void> {
    const commands = requests.flatMap((request) => request.commands);
    const sources = [...new Set(requests.flatMap((request) => request.cause.orderSources))];
    const skus = new Set<string>();
    for (const command of commands) {
      // the SKUs a creation or an edit names (an edit may add a SKU its order does not have yet)
      if (command.kind !== 'create_order' && command.kind !== 'edit_order') continue;
      for (const line of command.lines) if (line.sku !== null) skus.add(line.sku);
    }
    for (const sku of await this.orders.skusOf(em, [...new Set(commands.map((command) => command.orderId))], sources)) skus.add(sku);
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
      // an older snapshot of the order than one applied: nothing of its delivery applies
      if (outcome.result === 'ignored' && outcome.reason === STALE) return outcome;
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
      case 'edit_order':
        return this.editOrder(em, command, cause);
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
   * Carries out what the state machine decides about a lifecycle event (or a
   * dispute) for the order, from the facts read here: apply it (the
   * compare-and-set with its history row, its stock movement, its flags, the
   * payment id kept), defer it, or ignore it (with its flags).
   */
  private async applyLifecycleEvent(em: EntityManager, command: LifecycleCommand, cause: CommandCause): Promise<OrderOutcome> {
    const located = await this.locate(em, command.orderId, cause);
    if (located.kind === 'ambiguous') return ambiguous(located.sources);
    if (located.kind === 'missing') return waitingForOrder(decide(undefined, command.event, { restock: command.restock }));
    const { key: order, status } = located;
    const decision = decide(status, command.event, await this.factsFor(em, order, command));
    if (decision.kind !== 'apply') return this.notApplied(em, order, status, decision, cause);

    const { transition } = decision;
    if (transition) {
      const moved = await this.orders.changeStatus(em, {
        order,
        from: transition.from,
        to: transition.to,
        reason: command.reason,
        webhookEventId: cause.webhookEventId,
      });
      // The order is locked, so the status read above cannot have changed.
      if (!moved) throw new Error(`order ${orderLabel(order)} left status ${transition.from} while locked`);
    }
    await this.raiseAndKeep(em, order, decision, cause);
    if (decision.movement) await this.moveOrderUnits(em, order, decision.movement, command.parcel?.lines ?? null, cause.webhookEventId);
    if (command.parcel?.id !== undefined) await this.orders.recordParcel(em, order, command.parcel.id, cause.webhookEventId);
    return { result: 'applied', reason: null, status: transition?.to ?? status };
  }

  /**
   * What the state machine needs to know about the order for this command,
   * read only where the command asks about it (a stated amount, a payment
   * id, a refund of lines or of an amount).
   */
  private async factsFor(em: EntityManager, order: OrderKey, command: LifecycleCommand): Promise<DecisionFacts> {
    const facts: DecisionFacts = { restock: command.restock };
    if (command.payment || command.paymentId !== undefined || command.onlyIfRefundingAmount) {
      const terms = await this.orders.paymentTerms(em, order);
      if (command.payment) facts.paymentCovers = paymentCovers(command.payment, terms);
      if (command.paymentId !== undefined) facts.paymentIds = { named: command.paymentId, kept: terms.paymentId };
      if (command.onlyIfRefundingAmount) facts.refundCovers = paymentCovers(command.onlyIfRefundingAmount, terms);
    }
    if (command.onlyIfRefunding) facts.refundCovers = refundCoversOrder(await this.orders.orderedUnits(em, order), command.onlyIfRefunding);
    if (command.parcel) {
      const seen = command.parcel.id !== undefined && (await this.orders.parcelShipped(em, order, command.parcel.id));
      facts.parcel = { seen, ...parcelFacts(await this.orders.heldLines(em, order), command.parcel.lines) };
    }
    return facts;
  }

  /** A decision to wait, or to ignore (raising its flags, keeping its payment id). */
  private async notApplied(
    em: EntityManager,
    order: OrderKey,
    status: OrderStatus,
    decision: Exclude<Decision, { kind: 'apply' }>,
    cause: CommandCause,
  ): Promise<OrderOutcome> {
    if (decision.kind === 'defer') return { result: 'deferred', reason: decision.reason, status };
    await this.raiseAndKeep(em, order, decision, cause);
    return { result: 'ignored', reason: decision.reason, status };
  }

  /** The flags a decision raises, and the payment id it keeps. */
  private async raiseAndKeep(em: EntityManager, order: OrderKey, decision: Exclude<Decision, { kind: 'defer' }>, cause: CommandCause): Promise<void> {
    for (const reason of decision.flags) await this.orders.flagNeedsAttention(em, order, reason, cause.webhookEventId);
    if (decision.keepPaymentId !== null) await this.orders.keepPaymentId(em, order, decision.keepPaymentId);
  }

  /**
   * Units of an order come back (a partial refund with restock), as the
   * state machine decides (released while reserved, back on hand once
   * shipped), never more of a SKU than the order still holds. The status
   * does not change.
   */
  private async returnUnits(em: EntityManager, command: ReturnUnitsCommand, cause: CommandCause): Promise<OrderOutcome> {
    const located = await this.locate(em, command.orderId, cause);
    if (located.kind === 'ambiguous') return ambiguous(located.sources);
    const facts = command.shipped === undefined ? { restock: true } : { restock: true, returnsShipped: command.shipped };
    if (located.kind === 'missing') return waitingForOrder(decide(undefined, UNITS_RETURNED, facts));
    const { key: order, status } = located;
    const decision = decide(status, UNITS_RETURNED, facts);
    if (decision.kind !== 'apply') return this.notApplied(em, order, status, decision, cause);
    // a return that moves nothing (the decision has no movement) returns nothing
    const returned = decision.movement ? await this.moveOrderUnits(em, order, decision.movement, command.lines, cause.webhookEventId) : [];
    if (returned.length === 0) return { result: 'ignored', reason: NOTHING_LEFT_TO_RETURN, status };
    return { result: 'applied', reason: null, status };
  }

  /**
   * An order's lines become a new list (order_edited, a gateway's snapshot),
   * as the state machine decides from what the list does to them
   * (line-plans.ts planEdit), whether it is older than the newest snapshot
   * applied (stale), and whether the units it adds are available (the stock
   * rows of every SKU it moves locked first, in SKU order): released and
   * reserved line by line, or only released when short (edit_short).
   */
  private async editOrder(em: EntityManager, command: EditOrderCommand, cause: CommandCause): Promise<OrderOutcome> {
    const located = await this.locate(em, command.orderId, cause);
    if (located.kind === 'ambiguous') return ambiguous(located.sources);
    if (located.kind === 'missing') return waitingForOrder(decide(undefined, ORDER_EDITED, { restock: false }));
    const { key: order, status } = located;
    const kept = command.version === undefined ? null : await this.orders.snapshotVersion(em, order);
    const stale = kept !== null && Date.parse(command.version!) < kept.getTime();
    const plan = planEdit(await this.orders.heldLines(em, order), command.lines);
    let short = false;
    if (!stale && (plan.changes || plan.refills)) {
      const available = await this.inventory.lockAndReadAvailable(em, skusMovedBy(plan));
      short = [...unitsAskedBy(plan)].some(([sku, units]) => (available.get(sku) ?? 0) < units);
    }
    const decision = decide(status, ORDER_EDITED, { restock: false, edit: { stale, changes: plan.changes, short, refills: plan.refills } });
    // the newest version seen, and the total it says, are kept whatever the lines did, so an older list after it is stale
    if (!stale && (command.version !== undefined || command.totalAmount !== undefined)) {
      await this.orders.keepSnapshot(em, order, command.version ?? null, command.totalAmount ?? null);
    }
    if (decision.kind !== 'apply') return this.notApplied(em, order, status, decision, cause);
    const refused = await this.orders.editLines(em, order, plan, !short, cause.webhookEventId);
    if (refused.length > 0) throw refusal('edit', order, refused);
    await this.raiseAndKeep(em, order, decision, cause);
    return { result: 'applied', reason: decision.flags.length ? decision.flags.join(', ') : null, status };
  }

  /**
   * What a decision does to the order's units, carried out: a ledger
   * movement of all it holds, or of `only` these units (a parcel, units
   * returned); release_and_restock both, in that order. Returns the units
   * moved per SKU.
   */
  private async moveOrderUnits(
    em: EntityManager,
    order: OrderKey,
    effect: OrderStockEffect,
    only: { sku: string; quantity: number }[] | null,
    webhookEventId: string | null,
  ): Promise<{ sku: string; quantity: number }[]> {
    // an edit's movements are its plan's (editOrder); no other command's decision is an edit
    if (effect === 'edit') throw new Error(`an edit of order ${orderLabel(order)} reached the units' movement of another command`);
    if (effect !== 'release_and_restock') return this.moveStock(em, order, effect, only, webhookEventId);
    return [...(await this.moveStock(em, order, 'release', only, webhookEventId)), ...(await this.moveStock(em, order, 'restock', only, webhookEventId))];
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
    if (refused.length > 0) throw refusal(kind, order, refused);
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
    await this.inventory.lockStock(em, await this.orders.skusOf(em, [...new Set(due.map(({ order }) => order.orderId))], [...new Set(due.map(({ order }) => order.source))]));
    const expired: OrderKey[] = [];
    const failed: { order: OrderKey; error: unknown }[] = [];
    for (const { order, transition } of due) {
      const failure = await this.transactions.inSavepoint(
        em,
        async () => {
          const moved = await this.orders.changeStatus(em, { order, from: transition.from, to: transition.to, reason: transition.reason, webhookEventId: null });
          if (!moved) throw new Error(`order ${orderLabel(order)} left status ${transition.from} while locked`);
          const movement = stockMovementOf(transition, false);
          if (movement) await this.moveOrderUnits(em, order, movement, null, null);
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

  async list(query: { status?: OrderStatus; source?: string; needsAttention?: boolean; cursor?: string; limit?: number }): Promise<Page<OrderSummaryView>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const [beforeSeq] = (decodeCursor(query.cursor, [ID_KEY]) ?? []) as [string?];
    const rows = await this.transactions.run((em) =>
      this.orders.list(em, { status: query.status, source: query.source, needsAttention: query.needsAttention, beforeSeq, limit: limit + 1 }),
    );
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
   * The order an operator names by its id: the one of `source` when given;
   * otherwise the one order of that id, 409 naming the sources when several
   * have it; 404 when there is none.
   */
  private async keyOf(em: EntityManager, orderId: string, source?: string): Promise<OrderKey> {
    const sources = await this.orders.sourcesWithOrder(em, orderId);
    if (source !== undefined) {
      if (!sources.includes(source)) throw AppError.notFound(`no order "${orderId}" from source "${source}"`);
      return { source, orderId };
    }
    if (sources.length > 1) {
      throw AppError.conflict(`sources ${sources.map((s) => `"${s}"`).join(', ')} each have an order "${orderId}": name one with ?source=`, AMBIGUOUS_ORDER);
    }
    if (sources.length === 0) throw AppError.notFound(`no order "${orderId}"`);
    return { source: sources[0], orderId };
  }

  /** One order by its id (and source, when several have the id: keyOf). */
  async get(orderId: string, source?: string): Promise<OrderView> {
    return this.transactions.run(async (em) => toOrderView(await this.details(em, await this.keyOf(em, orderId, source))));
  }

  /**
   * An operator resolves every open attention item of the order with a note:
   * the items are kept, resolved, and the order's flag is cleared. Under the
   * order's lock, so of two resolves at once one finds nothing left open
   * (409), and no delivery raises an item between the two.
   */
  async resolveAttention(orderId: string, note: string, source?: string): Promise<OrderView> {
    return this.transactions.run(async (em) => {
      const key = await this.keyOf(em, orderId, source);
      await this.orders.lockAndReadStatus(em, key);
      if ((await this.orders.resolveAttention(em, key, note)) === 0) {
        throw new AppError(409, NO_OPEN_ATTENTION, `order "${orderId}" has no open attention item to resolve`);
      }
      return toOrderView(await this.details(em, key));
    });
  }

  private async details(em: EntityManager, key: OrderKey): Promise<Order> {
    const order = await this.orders.findWithDetails(em, key);
    // orders are never deleted, so one found by its key is there
    if (!order) throw new Error(`order ${orderLabel(key)} has no row`);
    return order;
  }
}

/** The stock guard refused a move of the order's units: its stock no longer matches its lines (the transaction rolls back). */
function refusal(what: string, order: OrderKey, refused: RefusedChange[]): Error {
  return new Error(`${what} of order ${orderLabel(order)} refused for ${refused.map((r) => `SKU "${r.sku}" (${r.refusal})`).join(', ')}: its stock no longer matches`);
}

/** An event for an order not known yet: the state machine says it waits (and why). */
function waitingForOrder(decision: Decision): OrderOutcome {
  if (decision.kind !== 'defer') throw new Error(`the state machine ${decision.kind === 'apply' ? 'applied' : 'ignored'} an event for no order`);
  return { result: 'deferred', reason: decision.reason };
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
    attention: order.attention.map((a) => ({
      reason: a.reason,
      webhook_event_id: a.webhookEventId,
      raised_at: a.raisedAt.toISOString(),
      resolved_at: a.resolvedAt?.toISOString() ?? null,
      note: a.note,
    })),
    created_at: order.createdAt.toISOString(),
    updated_at: order.updatedAt.toISOString(),
  };
}
