import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

/** Work that follows a change of an order's status, in the transaction that made it. */
export type OrderMovedHook = (em: EntityManager, orderId: string) => Promise<void>;

/**
 * What else must happen when the service itself moves an order, with no
 * delivery behind it (reservation expiry): modules that depend on orders
 * register here (the transport tries the order's deferred deliveries
 * again), so the domain never imports them.
 */
@Injectable()
export class OrderMovedHooks {
  private readonly hooks: OrderMovedHook[] = [];

  register(hook: OrderMovedHook): void {
    this.hooks.push(hook);
  }

  async run(em: EntityManager, orderId: string): Promise<void> {
    for (const hook of this.hooks) await hook(em, orderId);
  }
}
