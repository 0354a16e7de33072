import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { EndpointStatus } from './endpoint-status.js';
import type { NotificationEventType } from './event-types.js';
import { NotificationEndpoint } from './notification-endpoint.entity.js';

export interface EndpointChanges {
  url?: string;
  events?: NotificationEventType[] | null;
  description?: string | null;
  status?: EndpointStatus;
}

/** An endpoint of a page, with its keyset position: created_at in microseconds since the epoch, exact (a Date keeps milliseconds). */
export interface ListedEndpoint {
  endpoint: NotificationEndpoint;
  position: string;
}

/** The position of a page's keyset, in SQL: created_at to the microsecond. */
const POSITION = '(extract(epoch FROM e.created_at) * 1000000)::bigint';

/** notification_endpoints, through TypeORM's repository. Every method runs in the caller's transaction. */
@Injectable()
export class NotificationEndpointsRepository {
  /** The endpoint as stored, with what the database gave it (id, status, times). */
  async insert(
    em: EntityManager,
    endpoint: Pick<NotificationEndpoint, 'url' | 'events' | 'description' | 'secret'>,
  ): Promise<NotificationEndpoint> {
    const endpoints = em.getRepository(NotificationEndpoint);
    const { identifiers } = await endpoints.insert(endpoint);
    return endpoints.findOneByOrFail({ id: identifiers[0].id as string });
  }

  async find(em: EntityManager, id: string): Promise<NotificationEndpoint | null> {
    return em.getRepository(NotificationEndpoint).findOneBy({ id });
  }

  /** Newest first, before the keyset position (created_at in microseconds, id) when one is given. */
  async list(em: EntityManager, query: { before?: [string, string]; limit: number }): Promise<ListedEndpoint[]> {
    const page = em
      .getRepository(NotificationEndpoint)
      .createQueryBuilder('e')
      .addSelect(`${POSITION}::text`, 'position')
      .orderBy('e.createdAt', 'DESC')
      .addOrderBy('e.id', 'DESC')
      .limit(query.limit);
    if (query.before) {
      page.where(`(${POSITION}, e.id) < (CAST(:micros AS bigint), CAST(:id AS uuid))`, { micros: query.before[0], id: query.before[1] });
    }
    const { entities, raw } = await page.getRawAndEntities<{ position: string }>();
    return entities.map((endpoint, i) => ({ endpoint, position: raw[i].position }));
  }

  /**
   * Applies the changes given (the others stay). Enabling clears
   * status_reason; disabling an enabled endpoint records that the operator
   * did it, and leaves the reason of one already disabled (a 410) as it was.
   * The row is locked while it is read: the sender may be disabling it.
   */
  async update(em: EntityManager, id: string, changes: EndpointChanges, disabledReason: string): Promise<NotificationEndpoint | null> {
    const endpoints = em.getRepository(NotificationEndpoint);
    const endpoint = await endpoints.findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
    if (!endpoint) return null;
    if (changes.url !== undefined) endpoint.url = changes.url;
    if (changes.events !== undefined) endpoint.events = changes.events;
    if (changes.description !== undefined) endpoint.description = changes.description;
    if (changes.status === 'enabled') {
      endpoint.status = 'enabled';
      endpoint.statusReason = null;
    }
    if (changes.status === 'disabled' && endpoint.status === 'enabled') {
      endpoint.status = 'disabled';
      endpoint.statusReason = disabledReason;
    }
    return endpoints.save(endpoint);
  }

  /** Deletes it, its messages with it (ON DELETE CASCADE); whether it was there. */
  async delete(em: EntityManager, id: string): Promise<boolean> {
    const { affected } = await em.getRepository(NotificationEndpoint).delete({ id });
    return affected === 1;
  }

  /**
   * Makes `secret` the current secret; the one it replaces keeps signing
   * until `hours` from now by the database's clock (a previous secret still
   * valid from an earlier rotation is dropped: two secrets at most). Whether
   * the endpoint was there.
   */
  async rotateSecret(em: EntityManager, id: string, secret: string, hours: number): Promise<boolean> {
    const { affected } = await em
      .getRepository(NotificationEndpoint)
      .createQueryBuilder()
      .update()
      .set({ previousSecret: () => 'secret', previousSecretUntil: () => 'now() + make_interval(hours => CAST(:hours AS int))', secret })
      .where('id = :id', { id, hours })
      .execute();
    return affected === 1;
  }
}
