import { Body, Controller, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { cameOverHttps, type HttpReply, type HttpRequest, redirectTo } from '../http/http.js';
import { isAdminToken, issueSession } from '../auth/admin-token.js';
import { AppError } from '../common/app-error.js';
import { isPlainText } from '../common/validators.js';
import { AppConfig } from '../config/app-config.js';
import { InventoryService } from '../inventory/inventory.service.js';
import { NotificationEndpointsService } from '../notifications/notification-endpoints.service.js';
import { OrdersService } from '../orders/orders.service.js';
import { DELIVERY_STATUSES, type DeliveryStatus } from '../webhooks/delivery-status.js';
import { WebhookEventsService } from '../webhooks/webhook-events.service.js';
import { CONSOLE_COOKIE, flashFrom, type Form, sameOrigin, sendPage, signedIn } from './console-access.js';
import { deliveriesPage, deliveryPage, endpointsPage, inventoryPage, loginPage, orderPage, orderSearchPage } from './views.js';

const ID = /^[1-9][0-9]{0,17}$/;

/**
 * The operator's console at /console: server-rendered pages, no script, no
 * separate front end. A login form turns the admin token into a session
 * cookie (HttpOnly, SameSite=Strict, never the token itself), so the token
 * never appears in a URL. Every page reads through the same services as the API.
 */
@ApiExcludeController()
@Controller('console')
export class ConsoleController {
  constructor(
    private readonly config: AppConfig,
    private readonly events: WebhookEventsService,
    private readonly inventory: InventoryService,
    private readonly orders: OrdersService,
    private readonly endpoints: NotificationEndpointsService,
  ) {}

  @Get()
  home(@Res() response: HttpReply): void {
    redirectTo(response, '/console/deliveries');
  }

  @Get('login')
  loginForm(@Res() response: HttpReply): void {
    sendPage(response, 200, loginPage(this.config.adminToken ? undefined : 'The console is disabled: ADMIN_TOKEN is not set.'));
  }

  @Post('login')
  login(@Req() request: HttpRequest, @Body() body: Form | undefined, @Res() response: HttpReply): void {
    const form = body ?? {};
    if (!sameOrigin(request, response)) return;
    if (!isAdminToken(this.config.adminToken, form.token ?? '')) {
      sendPage(response, 401, loginPage(this.config.adminToken ? 'That is not the admin token.' : 'The console is disabled: ADMIN_TOKEN is not set.'));
      return;
    }
    // Secure whenever the browser came over HTTPS, directly or through a trusted proxy (TRUST_PROXY).
    const secure = cameOverHttps(request, this.config.trustProxy.trusts) ? '; Secure' : '';
    response.header('set-cookie', `${CONSOLE_COOKIE}=${issueSession(this.config.adminToken!)}; HttpOnly; SameSite=Strict; Path=/console; Max-Age=43200${secure}`);
    redirectTo(response, '/console/deliveries');
  }

  @Post('logout')
  logout(@Req() request: HttpRequest, @Res() response: HttpReply): void {
    if (!sameOrigin(request, response)) return;
    response.header('set-cookie', `${CONSOLE_COOKIE}=; HttpOnly; SameSite=Strict; Path=/console; Max-Age=0`);
    redirectTo(response, '/console/login');
  }

  @Get('deliveries')
  async deliveries(@Req() request: HttpRequest, @Query() query: Form, @Res() response: HttpReply): Promise<void> {
    if (!signedIn(this.config, request, response)) return;
    const status = DELIVERY_STATUSES.includes(query.status as DeliveryStatus) ? (query.status as DeliveryStatus) : undefined;
    const text = (value?: string) => (value && isPlainText(value, 1, 100) ? value : undefined);
    const since = ['15', '60', '1440'].includes(query.since ?? '') ? Number(query.since) : undefined;
    const filters = { status, type: text(query.type), source: text(query.source)?.toLowerCase(), since: since ? String(since) : undefined };
    const list = (cursor?: string) =>
      this.events.list({ status, eventType: filters.type, source: filters.source, sinceMinutes: since, cursor, limit: 50 });
    // A cursor edited by hand starts the list over rather than failing the page.
    const page = await list(query.cursor).catch((error: unknown) => {
      if (error instanceof AppError && error.status === 400) return list();
      throw error;
    });
    const counts = await this.events.countPerMinute(60);
    sendPage(response, 200, deliveriesPage({ items: page.items, nextCursor: page.next_cursor, filters, counts, now: new Date() }));
  }

  @Get('deliveries/:id')
  async delivery(@Req() request: HttpRequest, @Param('id') id: string, @Query() query: Form, @Res() response: HttpReply): Promise<void> {
    if (!signedIn(this.config, request, response)) return;
    if (!ID.test(id)) return sendPage(response, 404, orderSearchPage(`No delivery ${id}.`));
    try {
      sendPage(response, 200, deliveryPage(await this.events.get(id), flashFrom(query)));
    } catch (error) {
      if (error instanceof AppError && error.status === 404) return sendPage(response, 404, orderSearchPage(`No delivery ${id}.`));
      throw error;
    }
  }

  @Post('deliveries/:id/replay')
  async replay(@Req() request: HttpRequest, @Param('id') id: string, @Res() response: HttpReply): Promise<void> {
    if (!sameOrigin(request, response) || !signedIn(this.config, request, response)) return;
    if (!ID.test(id)) return sendPage(response, 404, orderSearchPage(`No delivery ${id}.`));
    let flash: string;
    try {
      const event = await this.events.replay(id);
      flash = `notice=${encodeURIComponent(`Replayed: the delivery is now ${event.status}.`)}`;
    } catch (error) {
      if (!(error instanceof AppError) || error.status >= 500) throw error;
      flash = `problem=${encodeURIComponent(error.message)}`;
    }
    redirectTo(response, `/console/deliveries/${id}?${flash}`);
  }

  @Get('inventory')
  async stock(@Req() request: HttpRequest, @Query() query: Form, @Res() response: HttpReply): Promise<void> {
    if (!signedIn(this.config, request, response)) return;
    const list = (cursor?: string) => this.inventory.list({ cursor, limit: 100, lowStock: false });
    const page = await list(query.cursor).catch((error: unknown) => {
      if (error instanceof AppError && error.status === 400) return list();
      throw error;
    });
    sendPage(response, 200, inventoryPage(page.items, page.next_cursor, flashFrom(query)));
  }

  @Post('inventory/:sku/adjust')
  async adjust(@Req() request: HttpRequest, @Param('sku') sku: string, @Body() body: Form | undefined, @Res() response: HttpReply): Promise<void> {
    const form = body ?? {};
    if (!sameOrigin(request, response) || !signedIn(this.config, request, response)) return;
    const delta = Number(form.delta);
    let flash: string;
    if (!isPlainText(sku, 1, 100) || !Number.isSafeInteger(delta) || delta === 0 || Math.abs(delta) > 1e9) {
      flash = `problem=${encodeURIComponent('Give a whole number of units to add (positive) or remove (negative).')}`;
    } else if (!isPlainText(form.reason, 1, 500)) {
      flash = `problem=${encodeURIComponent('Give a reason: it goes to the stock ledger.')}`;
    } else {
      try {
        const after = await this.inventory.adjust(sku, delta, form.reason);
        flash = `notice=${encodeURIComponent(`${sku}: ${delta > 0 ? 'added' : 'removed'} ${Math.abs(delta)}, now ${after.on_hand} on hand.`)}`;
      } catch (error) {
        if (!(error instanceof AppError) || error.status >= 500) throw error;
        flash = `problem=${encodeURIComponent(error.message)}`;
      }
    }
    redirectTo(response, `/console/inventory?${flash}`);
  }

  @Get('orders')
  orderSearch(@Req() request: HttpRequest, @Res() response: HttpReply): void {
    if (!signedIn(this.config, request, response)) return;
    sendPage(response, 200, orderSearchPage());
  }

  @Get('orders/find')
  findOrder(@Req() request: HttpRequest, @Query() query: Form, @Res() response: HttpReply): void {
    if (!signedIn(this.config, request, response)) return;
    redirectTo(response, `/console/orders/${encodeURIComponent(query.order_id ?? '')}`);
  }

  @Get('orders/:order_id')
  async order(@Req() request: HttpRequest, @Param('order_id') orderId: string, @Res() response: HttpReply): Promise<void> {
    if (!signedIn(this.config, request, response)) return;
    if (!isPlainText(orderId, 1, 128)) return sendPage(response, 404, orderSearchPage('That is not an order id.'));
    try {
      sendPage(response, 200, orderPage(await this.orders.get(orderId)));
    } catch (error) {
      if (error instanceof AppError && error.status === 404) return sendPage(response, 404, orderSearchPage(`No order ${orderId}.`));
      throw error;
    }
  }

  @Get('endpoints')
  async notificationEndpoints(@Req() request: HttpRequest, @Query() query: Form, @Res() response: HttpReply): Promise<void> {
    if (!signedIn(this.config, request, response)) return;
    const list = (cursor?: string) => this.endpoints.list({ cursor, limit: 100 });
    const page = await list(query.cursor).catch((error: unknown) => {
      if (error instanceof AppError && error.status === 400) return list();
      throw error;
    });
    sendPage(response, 200, endpointsPage(page.items, page.next_cursor));
  }
}
