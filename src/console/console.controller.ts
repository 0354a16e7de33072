import { Body, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import { cameOverHttps, type HttpReply, type HttpRequest, redirectTo } from '../http/http.js';
import { isAdminToken, issueSession } from '../auth/admin-token.js';
import { AppError } from '../common/app-error.js';
import { ID_KEY as ID } from '../common/pagination.js';
import { isPlainText, MAX_ID_LENGTH, MAX_SKU_LENGTH } from '../common/validators.js';
import { AppConfig } from '../config/app-config.js';
import { InventoryService, type StockView } from '../inventory/inventory.service.js';
import { NotificationEndpointsService } from '../notifications/notification-endpoints.service.js';
import { OrdersService } from '../orders/orders.service.js';
import { DELIVERY_STATUSES, type DeliveryStatus } from '../webhooks/delivery-status.js';
import { WebhookEventsService } from '../webhooks/webhook-events.service.js';
import { CONSOLE_COOKIE, ConsolePages, OpenConsoleRoute } from './console-access.js';
import type { Flash } from './html.js';
import { type Form, noticeOf, pageOrFirst, refusalOf, sendPage, withNotice } from './pages.js';
import { deliveriesPage, deliveryPage, endpointsPage, inventoryPage, loginPage, orderPage, orderSearchPage, orderSourcesPage } from './views.js';

const NO_DELIVERY = 'There is no delivery with that id.';

/**
 * The operator's console at /console: server-rendered pages, no script, no
 * separate front end. A login form turns the admin token into a session
 * cookie (HttpOnly, SameSite=Strict, never the token itself), so the token
 * never appears in a URL. Every page reads through the same services as the
 * API; access (session, same origin) is ConsolePages' guard's.
 */
@ConsolePages()
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
  @OpenConsoleRoute()
  loginForm(@Res() response: HttpReply): void {
    sendPage(response, 200, loginPage(this.config.adminToken ? undefined : 'The console is disabled: ADMIN_TOKEN is not set.'));
  }

  @Post('login')
  @OpenConsoleRoute()
  login(@Req() request: HttpRequest, @Body() form: Form, @Res() response: HttpReply): void {
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
  @OpenConsoleRoute()
  logout(@Res() response: HttpReply): void {
    response.header('set-cookie', `${CONSOLE_COOKIE}=; HttpOnly; SameSite=Strict; Path=/console; Max-Age=0`);
    redirectTo(response, '/console/login');
  }

  @Get('deliveries')
  async deliveries(@Query() query: Form, @Res() response: HttpReply): Promise<void> {
    const status = DELIVERY_STATUSES.includes(query.status as DeliveryStatus) ? (query.status as DeliveryStatus) : undefined;
    const text = (value?: string) => (value && isPlainText(value, 1, 100) ? value : undefined);
    const since = ['15', '60', '1440'].includes(query.since ?? '') ? Number(query.since) : undefined;
    const filters = { status, type: text(query.type), source: text(query.source)?.toLowerCase(), since: since ? String(since) : undefined };
    const page = await pageOrFirst(
      (cursor) => this.events.list({ status, eventType: filters.type, source: filters.source, sinceMinutes: since, cursor, limit: 50 }),
      query.cursor,
    );
    const counts = await this.events.countPerMinute(60);
    sendPage(response, 200, deliveriesPage({ items: page.items, nextCursor: page.next_cursor, filters, counts, now: new Date() }));
  }

  @Get('deliveries/:id')
  async delivery(@Param('id') id: string, @Query() query: Form, @Res() response: HttpReply): Promise<void> {
    await this.showDelivery(response, id, (event) => (noticeOf(query) === 'replayed' ? { message: `Replayed: the delivery is now ${event.status}.` } : undefined));
  }

  @Post('deliveries/:id/replay')
  async replay(@Param('id') id: string, @Res() response: HttpReply): Promise<void> {
    if (!ID.test(id)) return sendPage(response, 404, orderSearchPage(NO_DELIVERY));
    try {
      await this.events.replay(id);
    } catch (error) {
      const refusal = refusalOf(error);
      return this.showDelivery(response, id, () => ({ message: refusal.message, error: true }), refusal.status);
    }
    redirectTo(response, withNotice(`/console/deliveries/${id}`, 'replayed'));
  }

  private async showDelivery(
    response: HttpReply,
    id: string,
    flash: (event: { status: string }) => Flash | undefined,
    status = 200,
  ): Promise<void> {
    if (!ID.test(id)) return sendPage(response, 404, orderSearchPage(NO_DELIVERY));
    try {
      const event = await this.events.get(id);
      sendPage(response, status, deliveryPage(event, flash(event)));
    } catch (error) {
      if (error instanceof AppError && error.status === 404) return sendPage(response, 404, orderSearchPage(NO_DELIVERY));
      throw error;
    }
  }

  @Get('inventory')
  async stock(@Query() query: Form, @Res() response: HttpReply): Promise<void> {
    let adjusted: StockView | undefined;
    if (noticeOf(query) === 'adjusted' && isPlainText(query.sku, 1, MAX_SKU_LENGTH)) {
      adjusted = await this.inventory.get(query.sku).catch((error: unknown) => {
        if (error instanceof AppError && error.status === 404) return undefined;
        throw error;
      });
    }
    await this.showInventory(response, query.cursor, adjusted && { message: `${adjusted.sku}: adjusted, now ${adjusted.on_hand} on hand.` });
  }

  @Post('inventory/:sku/adjust')
  async adjust(@Param('sku') sku: string, @Body() form: Form, @Res() response: HttpReply): Promise<void> {
    const delta = Number(form.delta);
    const refuse = (message: string, status: number) => this.showInventory(response, undefined, { message, error: true }, status);
    if (!isPlainText(sku, 1, MAX_SKU_LENGTH) || !Number.isSafeInteger(delta) || delta === 0 || Math.abs(delta) > 1e9) {
      return refuse('Give a whole number of units to add (positive) or remove (negative).', 400);
    }
    if (!isPlainText(form.reason, 1, 500)) return refuse('Give a reason: it goes to the stock ledger.', 400);
    try {
      await this.inventory.adjust(sku, delta, form.reason);
    } catch (error) {
      const refusal = refusalOf(error);
      return refuse(refusal.message, refusal.status);
    }
    redirectTo(response, withNotice('/console/inventory', 'adjusted', { sku }));
  }

  private async showInventory(response: HttpReply, cursor: string | undefined, flash?: Flash, status = 200): Promise<void> {
    const page = await pageOrFirst((c) => this.inventory.list({ cursor: c, limit: 100, lowStock: false }), cursor);
    sendPage(response, status, inventoryPage(page.items, page.next_cursor, flash));
  }

  @Get('orders')
  orderSearch(@Res() response: HttpReply): void {
    sendPage(response, 200, orderSearchPage());
  }

  @Get('orders/find')
  findOrder(@Query() query: Form, @Res() response: HttpReply): void {
    redirectTo(response, `/console/orders/${encodeURIComponent(query.order_id ?? '')}`);
  }

  @Get('orders/:order_id')
  async order(@Param('order_id') orderId: string, @Query() query: Form, @Res() response: HttpReply): Promise<void> {
    if (!isPlainText(orderId, 1, MAX_ID_LENGTH)) return sendPage(response, 404, orderSearchPage('That is not an order id.'));
    const source = query.source && isPlainText(query.source, 1, 100) ? query.source : undefined;
    try {
      sendPage(response, 200, orderPage(await this.orders.get(orderId, source)));
    } catch (error) {
      if (error instanceof AppError && error.status === 404) return sendPage(response, 404, orderSearchPage('There is no order with that id.', orderId));
      // several sources have the id: the operator picks one
      if (error instanceof AppError && error.status === 409) return sendPage(response, 409, orderSourcesPage(orderId, await this.orders.sourcesOf(orderId)));
      throw error;
    }
  }

  @Get('endpoints')
  async notificationEndpoints(@Query() query: Form, @Res() response: HttpReply): Promise<void> {
    const page = await pageOrFirst((cursor) => this.endpoints.list({ cursor, limit: 100 }), query.cursor);
    sendPage(response, 200, endpointsPage(page.items, page.next_cursor));
  }
}
