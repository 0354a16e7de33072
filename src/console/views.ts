import * as losslessJson from 'lossless-json';
import type { StockView } from '../inventory/inventory.service.js';
import type { EndpointView } from '../notifications/notification-endpoints.service.js';
import type { NotificationView } from '../notifications/notifications-outbox.service.js';
import type { OrderView } from '../orders/orders.service.js';
import { DELIVERY_STATUSES, type DeliveryStatus, isReplayable } from '../webhooks/delivery-status.js';
import type { WebhookEventDetailView, WebhookEventView } from '../webhooks/webhook-events.service.js';
import { type Flash, flashBox, html, type Html, layout, statusPill } from './html.js';

const STATUS_COLOURS: Record<DeliveryStatus, string> = {
  processed: '#3fb56b',
  deferred: '#e8b400',
  ignored: '#9aa3ad',
  failed: '#e0483e',
};

export function loginPage(error?: string): string {
  return layout(
    'Log in',
    html`${flashBox(error ? { message: error, error: true } : undefined)}
      <form method="post" action="/console/login">
        <label for="token">Admin token (ADMIN_TOKEN)</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
        <button type="submit">Log in</button>
      </form>`,
    { nav: false },
  );
}

/** Deliveries per minute over the last hour, stacked by status, as an inline SVG (no script needed). */
function chart(counts: { minute: Date; status: DeliveryStatus; n: number }[], now: Date): Html {
  const start = Math.floor(now.getTime() / 60_000) - 59;
  const columns = Array.from({ length: 60 }, (): Partial<Record<DeliveryStatus, number>> => ({}));
  for (const c of counts) {
    const index = Math.floor(new Date(c.minute).getTime() / 60_000) - start;
    if (index >= 0 && index < 60) columns[index][c.status] = (columns[index][c.status] ?? 0) + c.n;
  }
  const highest = Math.max(1, ...columns.map((col) => Object.values(col).reduce((a, b) => a + b, 0)));
  const bars = columns.flatMap((col, i) => {
    let y = 120;
    return (Object.keys(STATUS_COLOURS) as DeliveryStatus[])
      .filter((s) => col[s])
      .map((s) => {
        const h = (col[s]! / highest) * 110;
        y -= h;
        return html`<rect x="${i * 12}" y="${y.toFixed(1)}" width="10" height="${h.toFixed(1)}" fill="${STATUS_COLOURS[s]}"><title>${col[s]} ${s}</title></rect>`;
      });
  });
  const legend = (Object.keys(STATUS_COLOURS) as DeliveryStatus[]).map(
    (s, i) => html`<rect x="${i * 90}" y="128" width="10" height="10" fill="${STATUS_COLOURS[s]}"/><text x="${i * 90 + 14}" y="137" font-size="11">${s}</text>`,
  );
  return html`<figure><figcaption>Deliveries per minute, last hour (highest: ${highest})</figcaption>
    <svg id="chart" role="img" aria-label="deliveries per minute by outcome" width="720" height="145" viewBox="0 0 720 145">${bars}${legend}</svg></figure>`;
}

export function deliveriesPage(options: {
  items: WebhookEventView[];
  nextCursor: string | null;
  filters: Record<string, string | undefined>;
  counts: { minute: Date; status: DeliveryStatus; n: number }[];
  now: Date;
}): string {
  const { filters } = options;
  const select = (name: string, values: readonly string[]) =>
    html`<select name="${name}" id="${name}"><option value="">any</option>${values.map(
      (v) => html`<option value="${v}"${filters[name] === v ? html` selected` : html``}>${v}</option>`,
    )}</select>`;
  const next = options.nextCursor
    ? html`<p><a href="/console/deliveries?${new URLSearchParams({ ...definedOnly(filters), cursor: options.nextCursor }).toString()}">Older deliveries</a></p>`
    : html``;
  return layout(
    'Deliveries',
    html`${chart(options.counts, options.now)}
      <form class="filters" method="get" action="/console/deliveries">
        <div><label for="status">Status</label>${select('status', DELIVERY_STATUSES)}</div>
        <div><label for="type">Type</label><input id="type" name="type" value="${filters.type ?? ''}" placeholder="new_order"></div>
        <div><label for="source">Source</label><input id="source" name="source" value="${filters.source ?? ''}" placeholder="default"></div>
        <div><label for="since">Received</label><select name="since" id="since"><option value="">any time</option>${[
          ['15', 'last 15 minutes'],
          ['60', 'last hour'],
          ['1440', 'last day'],
        ].map(([v, label]) => html`<option value="${v}"${filters.since === v ? html` selected` : html``}>${label}</option>`)}</select></div>
        <button type="submit">Filter</button>
      </form>
      <table id="deliveries"><thead><tr><th>#</th><th>Received</th><th>Source</th><th>Provider</th><th>Event</th><th>Type</th><th>Order</th><th>Status</th><th>Attempts</th></tr></thead>
      <tbody>${options.items.map(
        (e) => html`<tr data-event-id="${e.event_id}"><td><a href="/console/deliveries/${e.id}">${e.id}</a></td><td>${e.received_at}</td>
          <td>${e.source}</td><td>${e.provider}</td><td>${e.event_id}</td><td>${e.event_type}</td>
          <td>${e.order_id ? html`<a href="/console/orders/${encodeURIComponent(e.order_id)}">${e.order_id}</a>` : ''}</td>
          <td>${statusPill(e.status)}${e.reason ? html` <span class="muted">${e.reason}</span>` : html``}</td><td>${e.attempts}</td></tr>`,
      )}</tbody></table>${options.items.length ? html`` : html`<p class="muted">No deliveries match.</p>`}${next}`,
  );
}

/** The body indented, every number exactly as written (a 64-bit id must not be rounded for display). */
function prettyBody(raw: string): string {
  try {
    return losslessJson.stringify(losslessJson.parse(raw), null, 2) ?? raw;
  } catch {
    return raw;
  }
}

export function deliveryPage(event: WebhookEventDetailView, flash?: Flash): string {
  const replayable = isReplayable(event.status);
  return layout(
    `Delivery ${event.id}`,
    html`${flashBox(flash)}
      <table id="delivery"><tbody>
        <tr><th>Status</th><td id="status">${statusPill(event.status)}</td></tr>
        <tr><th>Reason</th><td>${event.reason ?? ''}</td></tr>
        <tr><th>Error</th><td id="last-error">${event.last_error ?? ''}</td></tr>
        <tr><th>Attempts</th><td id="attempts">${event.attempts}</td></tr>
        <tr><th>Source</th><td>${event.source}</td></tr><tr><th>Provider</th><td id="provider">${event.provider}</td></tr>
        <tr><th>Event id</th><td>${event.event_id}</td></tr>
        <tr><th>Type</th><td id="event-type">${event.event_type}</td></tr>
        <tr><th>Became</th><td id="became">${event.became === null ? 'the stored body no longer reads' : event.became.join(', ') || 'nothing (asks nothing of an order)'}</td></tr>
        <tr><th>Order</th><td>${event.order_id ? html`<a href="/console/orders/${encodeURIComponent(event.order_id)}">${event.order_id}</a>` : ''}</td></tr>
        <tr><th>Received</th><td>${event.received_at}</td></tr><tr><th>Processed</th><td>${event.processed_at ?? ''}</td></tr>
      </tbody></table>
      ${replayable ? html`<form method="post" action="/console/deliveries/${event.id}/replay"><p><button id="replay" type="submit">Replay</button></p></form>` : html``}
      <h2>Headers</h2><pre id="headers">${JSON.stringify(event.headers, null, 2)}</pre>
      <h2>Body</h2><pre id="body">${prettyBody(event.raw_body)}</pre>`,
  );
}

export function inventoryPage(items: StockView[], nextCursor: string | null, flash?: Flash): string {
  return layout(
    'Inventory',
    html`${flashBox(flash)}
      <table id="inventory"><thead><tr><th>SKU</th><th>On hand</th><th>Reserved</th><th>Available</th><th>Low-stock threshold</th><th>Adjust</th></tr></thead>
      <tbody>${items.map((s) => {
        const low = s.low_stock === true;
        return html`<tr data-sku="${s.sku}"${low ? html` class="low"` : html``}><td>${s.sku}${low ? html` <strong>low</strong>` : html``}</td>
          <td class="on-hand">${s.on_hand}</td><td class="reserved">${s.reserved}</td><td class="available">${s.available}</td>
          <td>${s.low_stock_threshold ?? ''}</td>
          <td><form class="inline" method="post" action="/console/inventory/${encodeURIComponent(s.sku)}/adjust">
            <input name="delta" type="number" required size="5" aria-label="units to add or remove">
            <input name="reason" required placeholder="reason" aria-label="reason">
            <button type="submit">Adjust</button></form></td></tr>`;
      })}</tbody></table>
      ${nextCursor ? html`<p><a href="/console/inventory?cursor=${nextCursor}">More SKUs</a></p>` : html``}`,
  );
}

/** The order search; after a failed search, its message and the id asked for, back in the field. */
export function orderSearchPage(error?: string, orderId?: string): string {
  return layout(
    'Orders',
    html`${flashBox(error ? { message: error, error: true } : undefined)}
      <form method="get" action="/console/orders/find"><label for="order_id">Order id</label>
      <input id="order_id" name="order_id" value="${orderId ?? ''}" required><button type="submit">Show</button></form>`,
  );
}

/** Several sources have an order with this id: one link per source's order. */
export function orderSourcesPage(orderId: string, sources: string[]): string {
  return layout(
    `Order ${orderId}`,
    html`<p>Several sources have an order with this id. Which one?</p>
      <ul id="order-sources">${sources.map(
        (source) => html`<li><a href="/console/orders/${encodeURIComponent(orderId)}?source=${encodeURIComponent(source)}">${source}</a></li>`,
      )}</ul>`,
  );
}

export function orderPage(order: OrderView): string {
  return layout(
    `Order ${order.order_id}`,
    html`<p>Source <strong>${order.source}</strong></p>
      <p>Status ${statusPill(order.status)} ${order.needs_attention ? html`<strong>needs attention</strong>` : html``}
      ${order.status_reason ? html`<span class="muted">${order.status_reason}</span>` : html``}</p>
      <p>${order.customer_name} ${order.customer_email ? html`&lt;${order.customer_email}&gt;` : html``} · ${order.total_amount} ${order.currency}</p>
      <table><thead><tr><th>SKU</th><th>Quantity</th><th>Unit price</th></tr></thead>
      <tbody>${order.items.map((i) => html`<tr><td>${i.sku}</td><td>${i.quantity}</td><td>${i.unit_price ?? ''}</td></tr>`)}</tbody></table>
      <h2>History</h2><ol class="timeline" id="history">${order.history.map(
        (h) => html`<li><strong>${h.from_status ?? 'created'} → ${h.to_status}</strong> <span class="muted">${h.at}</span>
          ${h.reason ? html`<br>${h.reason}` : html``}
          ${h.webhook_event_id ? html`<br><a href="/console/deliveries/${h.webhook_event_id}">delivery ${h.webhook_event_id}</a>` : html``}</li>`,
      )}</ol>
      ${order.attention.length
        ? html`<h2>Attention</h2><ol class="timeline" id="attention">${order.attention.map(
            (a) => html`<li data-open="${a.resolved_at ? 'false' : 'true'}"><strong>${a.reason}</strong> <span class="muted">raised ${a.raised_at}</span>
              ${a.webhook_event_id ? html`<br><a href="/console/deliveries/${a.webhook_event_id}">delivery ${a.webhook_event_id}</a>` : html``}
              <br>${a.resolved_at ? html`resolved <span class="muted">${a.resolved_at}</span>: ${a.note ?? ''}` : html`<strong>open</strong>`}</li>`,
          )}</ol>`
        : html``}`,
  );
}

/** The messages to one endpoint (or all), with their attempts, last status code and next attempt, and a retry button for a failed one. */
export function notificationsPage(options: { endpointId?: string; items: NotificationView[]; nextCursor: string | null; flash?: Flash }): string {
  const { endpointId, items, nextCursor, flash } = options;
  const back = endpointId ? `endpoint_id=${endpointId}&` : '';
  return layout(
    endpointId ? `Notifications to endpoint ${endpointId}` : 'Notifications',
    html`${flashBox(flash)}
      <table id="notifications"><thead><tr><th>Id</th><th>Event</th><th>Status</th><th>Attempts</th><th>Last status code</th>
        <th>Last error</th><th>Next attempt</th><th>Created</th><th>Delivered</th><th></th></tr></thead>
      <tbody>${items.map(
        (n) => html`<tr data-id="${n.id}"><td>${n.id}</td><td>${n.event_type}</td><td class="status-cell">${statusPill(n.status)}</td>
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

/** The storefront's notification endpoints: what each is sent and whether it is; never a secret (EndpointView holds none). */
export function endpointsPage(items: EndpointView[], nextCursor: string | null): string {
  return layout(
    'Notification endpoints',
    html`<table id="endpoints"><thead><tr><th>URL</th><th>Events</th><th>Status</th><th>Reason</th><th>Description</th><th>Created</th><th></th></tr></thead>
      <tbody>${items.map(
        (e) => html`<tr data-endpoint-id="${e.id}"><td class="url">${e.url}</td><td class="events">${e.events.join(', ')}</td>
          <td class="status">${statusPill(e.status)}</td><td class="status-reason">${e.status_reason ?? ''}</td>
          <td>${e.description ?? ''}</td><td>${e.created_at}</td>
          <td><a class="messages" href="/console/notifications?endpoint_id=${e.id}">Messages</a></td></tr>`,
      )}</tbody></table>${items.length ? html`` : html`<p class="muted">No endpoints: register one with POST /notification-endpoints.</p>`}
      ${nextCursor ? html`<p><a href="/console/endpoints?cursor=${nextCursor}">More endpoints</a></p>` : html``}`,
  );
}

function definedOnly(values: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter((entry): entry is [string, string] => Boolean(entry[1])));
}
