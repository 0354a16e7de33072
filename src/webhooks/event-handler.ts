import type { EntityManager } from 'typeorm';

export interface HandlerContext {
  source: string;
  /** Id of the webhook_events record of this delivery. */
  webhookEventId: string;
}

export interface HandlerOutcome {
  status: 'processed' | 'ignored' | 'deferred';
  reason: string | null;
  orderStatus?: string;
  /**
   * Whether deferred events wait for the order this event moved, when the
   * handler learnt it on its way (saving the dispatcher a look-up).
   */
  waiting?: boolean;
}

/** How one event type is checked and applied. `parse` throws a 400 AppError; `apply` runs in the delivery's transaction. */
export interface EventHandler<C = unknown> {
  readonly type: string;
  /**
   * Deferred events of one order are tried lowest rank first, whatever order
   * they arrived in (the lifecycle order of the contract).
   */
  readonly deferralRank: number;
  parse(data: unknown): C;
  orderIdOf(command: C): string | null;
  apply(em: EntityManager, command: C, context: HandlerContext): Promise<HandlerOutcome>;
  /**
   * Applies several events in one go, with the outcomes `apply` would have
   * given them one after another in this order. A handler that has it gets
   * concurrent deliveries grouped into one transaction (group commit).
   */
  applyBatch?(em: EntityManager, events: { command: C; context: HandlerContext }[]): Promise<HandlerOutcome[]>;
}

export const EVENT_HANDLERS = Symbol('EVENT_HANDLERS');
