import { Body, Controller, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { type HttpReply, type HttpRequest, redirectTo } from '../http/http.js';
import { AppError } from '../common/app-error.js';
import { AppConfig } from '../config/app-config.js';
import { flashFrom, sameOrigin, sendPage, signedIn } from '../console/console-access.js';
import { html, layout } from '../console/html.js';
import { type NotificationView, NotificationsOutboxService } from './notifications-outbox.service.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ID = /^[1-9][0-9]{0,17}$/;

export function notificationsPage(options: {
  endpointId?: string;
  items: NotificationView[];
  nextCursor: string | null;
  flash?: { message: string; error?: boolean };
}): string {
  const { endpointId, items, nextCursor, flash } = options;
  const back = endpointId ? `endpoint_id=${endpointId}&` : '';
  return layout(
    endpointId ? `Notifications to endpoint ${endpointId}` : 'Notifications',
    html`${flash ? html`<div class="flash${flash.error ? ' error' : ''}" role="status">${flash.message}</div>` : html``}
      <table id="notifications"><thead><tr><th>Id</th><th>Event</th><th>Status</th><th>Attempts</th><th>Last status code</th>
        <th>Last error</th><th>Next attempt</th><th>Created</th><th>Delivered</th><th></th></tr></thead>
      <tbody>${items.map(
        (n) => html`<tr data-id="${n.id}"><td>${n.id}</td><td>${n.event_type}</td><td class="status-cell"><span class="status ${n.status}">${n.status}</span></td>
          <td class="attempts">${n.attempts}</td><td class="last-status-code">${n.last_status_code ?? ''}</td>
          <td class="last-error">${n.last_error ? n.last_error.slice(0, 300) : ''}</td><td class="next-attempt">${n.next_attempt_at ?? ''}</td>
          <td>${n.created_at}</td><td>${n.delivered_at ?? ''}</td>
          <td>${n.status === 'failed'
            ? html`<form class="inline" method="post" action="/console/notifications/${n.id}/retry${endpointId ? `?endpoint_id=${endpointId}` : ''}"><button type="submit">Retry</button></form>`
            : html``}</td></tr>`,
      )}</tbody></table>
      ${nextCursor ? html`<p><a href="/console/notifications?${back}cursor=${nextCursor}">Older messages</a></p>` : html``}`,
  );
}

/**
 * The console's view of the outbox: the messages to one endpoint (or all),
 * with their attempts, last status code and next attempt, and a retry button
 * for a failed one. Same session cookie and same-origin rule as the rest of
 * the console (src/console/console.controller.ts).
 */
@ApiExcludeController()
@Controller('console/notifications')
export class OutboxConsoleController {
  constructor(
    private readonly config: AppConfig,
    private readonly outbox: NotificationsOutboxService,
  ) {}

  @Get()
  async list(@Req() request: HttpRequest, @Query() query: Record<string, string | undefined>, @Res() response: HttpReply): Promise<void> {
    if (!signedIn(this.config, request, response)) return;
    const endpointId = query.endpoint_id && UUID.test(query.endpoint_id) ? query.endpoint_id : undefined;
    const read = (cursor?: string) => this.outbox.list({ endpoint_id: endpointId, cursor, limit: 50 });
    // a cursor edited by hand starts the list over rather than failing the page
    const page = await read(query.cursor).catch((error: unknown) => {
      if (error instanceof AppError && error.status === 400) return read();
      throw error;
    });
    const flash = flashFrom(query);
    sendPage(response, 200, notificationsPage({ endpointId, items: page.items, nextCursor: page.next_cursor, flash }));
  }

  @Post(':id/retry')
  async retry(
    @Req() request: HttpRequest,
    @Param('id') id: string,
    @Query('endpoint_id') endpoint: string | undefined,
    @Body() _form: unknown,
    @Res() response: HttpReply,
  ): Promise<void> {
    if (!sameOrigin(request, response) || !signedIn(this.config, request, response)) return;
    const back = endpoint && UUID.test(endpoint) ? `endpoint_id=${endpoint}&` : '';
    let flash: string;
    if (!ID.test(id)) flash = `problem=${encodeURIComponent(`No notification ${id}.`)}`;
    else {
      try {
        await this.outbox.retry(id);
        flash = `notice=${encodeURIComponent(`Notification ${id} is pending again and goes now.`)}`;
      } catch (error) {
        if (!(error instanceof AppError) || error.status >= 500) throw error;
        flash = `problem=${encodeURIComponent(error.message)}`;
      }
    }
    redirectTo(response, `/console/notifications?${back}${flash}`);
  }
}
