/** Text made safe to put inside HTML, attributes included. Every value from a delivery or a user goes through it. */
export function escapeHtml(value: unknown): string {
  const text = typeof value === 'string' ? value : value === null || value === undefined ? '' : JSON.stringify(value) ?? '';
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A tagged template that escapes every interpolated value unless it is already Html. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let text = strings[0];
  values.forEach((value, i) => {
    const part = Array.isArray(value)
      ? value.map((v) => (v instanceof Html ? v.text : escapeHtml(v))).join('')
      : value instanceof Html
        ? value.text
        : escapeHtml(value);
    text += part + strings[i + 1];
  });
  return new Html(text);
}

const STYLE = `
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f6f7f9; }
  header { background: #1d2330; color: #fff; padding: 10px 20px; display: flex; gap: 20px; align-items: center; }
  header a { color: #cfd8ff; text-decoration: none; } header strong { margin-right: 20px; }
  header form { margin-left: auto; } main { padding: 20px; max-width: 1200px; }
  table { border-collapse: collapse; width: 100%; background: #fff; } th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #e3e6ea; }
  th { background: #eef0f3; } tr.low td { background: #fff1f0; } pre { background: #fff; padding: 10px; overflow: auto; border: 1px solid #e3e6ea; }
  .status { padding: 1px 6px; border-radius: 8px; font-size: 12px; } .processed { background: #d9f5e0; } .failed { background: #ffd9d6; }
  .ignored { background: #eceff3; } .enabled { background: #d9f5e0; } .disabled { background: #ffd9d6; } .deferred { background: #fff3c4; } .flash { padding: 8px 12px; background: #e6f0ff; border: 1px solid #b9d0ff; margin-bottom: 12px; }
  .error { background: #ffecea; border-color: #ffb8b0; } form.inline { display: inline; } .filters { margin-bottom: 12px; display: flex; gap: 8px; align-items: end; }
  label { display: block; font-size: 12px; color: #555; } ol.timeline { list-style: none; padding: 0; border-left: 3px solid #b9d0ff; }
  ol.timeline li { margin: 0 0 10px 0; padding-left: 12px; } .muted { color: #777; }
`;

/** The page around every console view. */
export function layout(title: string, body: Html, options: { nav?: boolean } = {}): string {
  const nav = options.nav === false
    ? html``
    : html`<a href="/console/deliveries">Deliveries</a><a href="/console/inventory">Inventory</a><a href="/console/orders">Orders</a><a href="/console/endpoints">Endpoints</a>
        <form method="post" action="/console/logout"><button type="submit">Log out</button></form>`;
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title} · shelfsync</title>
    <meta name="viewport" content="width=device-width, initial-scale=1"><style>${new Html(STYLE)}</style></head>
    <body><header><strong>shelfsync</strong>${nav}</header><main><h1>${title}</h1>${body}</main></body></html>`.text;
}

/** A message on a page: what an action did, or (error) why it was refused. Always the server's own words. */
export interface Flash {
  message: string;
  error?: boolean;
}

/** The box a page shows its message in. */
export function flashBox(flash?: Flash): Html {
  return flash ? html`<div class="flash${flash.error ? ' error' : ''}" role="status">${flash.message}</div>` : html``;
}

/** A status (of a delivery, an order, an endpoint, a message) as a coloured pill. */
export function statusPill(value: string): Html {
  return html`<span class="status ${value}">${value}</span>`;
}
