import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The HTTP request and reply every guard, filter and controller sees
 * (Fastify's; `request.id` is the id of src/logging/request-id.ts), and the
 * few answers they write by hand. Kept in one place so that code outside
 * src/http and app.setup.ts names no framework.
 */
export type HttpRequest = FastifyRequest;
export type HttpReply = FastifyReply;

/** The request's path without its query string, as sent (not decoded). */
export function pathOf(request: { url: string }): string {
  const query = request.url.indexOf('?');
  return query === -1 ? request.url : request.url.slice(0, query);
}

/** Whether the path is POST /webhooks or /webhooks/{source} (routes are case-insensitive). */
export function isWebhookPath(path: string): boolean {
  const lower = path.toLowerCase();
  return lower === '/webhooks' || lower.startsWith('/webhooks/');
}

/** 303 See Other: where the browser goes after a form, or to sign in. */
export function redirectTo(reply: HttpReply, location: string): void {
  void reply.redirect(location, 303);
}
