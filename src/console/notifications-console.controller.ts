import { Get, Param, Post, Query, Res } from '@nestjs/common';
import { type HttpReply, redirectTo } from '../http/http.js';
import { ID_KEY as ID, UUID } from '../common/pagination.js';
import { NotificationsOutboxService } from '../notifications/notifications-outbox.service.js';
import { ConsolePages } from './console-access.js';
import type { Flash } from './html.js';
import { type Form, noticeOf, pageOrFirst, refusalOf, sendPage, withNotice } from './pages.js';
import { notificationsPage } from './views.js';

/**
 * The console's view of the outbox: the messages to one endpoint (or all),
 * with their attempts, last status code and next attempt, and a retry button
 * for a failed one. Same access as every console page (ConsolePages).
 */
@ConsolePages('notifications')
export class NotificationsConsoleController {
  constructor(private readonly outbox: NotificationsOutboxService) {}

  @Get()
  async list(@Query() query: Form, @Res() response: HttpReply): Promise<void> {
    const retried = noticeOf(query) === 'retried' && ID.test(query.id ?? '') ? query.id : undefined;
    await this.show(response, query.endpoint_id, query.cursor, retried ? { message: `Notification ${retried} is pending again and goes now.` } : undefined);
  }

  @Post(':id/retry')
  async retry(@Param('id') id: string, @Query() query: Form, @Res() response: HttpReply): Promise<void> {
    const endpointId = endpointOf(query.endpoint_id);
    if (!ID.test(id)) return this.show(response, endpointId, undefined, { message: 'There is no notification with that id.', error: true }, 404);
    try {
      await this.outbox.retry(id);
    } catch (error) {
      const refusal = refusalOf(error);
      return this.show(response, endpointId, undefined, { message: refusal.message, error: true }, refusal.status);
    }
    redirectTo(response, withNotice('/console/notifications', 'retried', { ...(endpointId ? { endpoint_id: endpointId } : {}), id }));
  }

  private async show(response: HttpReply, endpoint: string | undefined, cursor: string | undefined, flash?: Flash, status = 200): Promise<void> {
    const endpointId = endpointOf(endpoint);
    const page = await pageOrFirst((c) => this.outbox.list({ endpoint_id: endpointId, cursor: c, limit: 50 }), cursor);
    sendPage(response, status, notificationsPage({ endpointId, items: page.items, nextCursor: page.next_cursor, flash }));
  }
}

function endpointOf(value: string | undefined): string | undefined {
  return value && UUID.test(value) ? value : undefined;
}
