import type { FastifyReply, FastifyRequest } from 'fastify';
import { isIPv4 } from 'node:net';

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

/**
 * The route the request matched, as declared (`/webhooks/:source`), or its
 * path when it matched none. Decisions by route see what the router saw:
 * `/%77ebhooks` is `/webhooks` to both.
 */
export function routeOf(request: HttpRequest): string {
  return request.routeOptions.url ?? pathOf(request);
}

/** The client's address (x-forwarded-for's as TRUST_PROXY allows); '' once the socket is gone. */
export function clientAddressOf(request: HttpRequest): string {
  const address: string | undefined = request.ip;
  return address ?? '';
}

/**
 * An address as a rule reads it: an IPv4 client seen through an IPv6 socket
 * (`::ffff:10.0.0.1`) is the IPv4 address it carries; any other as it is.
 * Both the allowed-IP check and the rate limits read addresses so.
 */
export function plainAddress(address: string): string {
  if (!MAPPED_PREFIX.test(address)) return address;
  const carried = address.slice(7);
  return isIPv4(carried) ? carried : address;
}

const MAPPED_PREFIX = /^::ffff:/i;

/** Whether the route is POST /webhooks or /webhooks/{source}. */
export function isWebhookRoute(route: string): boolean {
  return route === '/webhooks' || route.startsWith('/webhooks/');
}

/**
 * Whether the browser came over HTTPS: this connection is TLS, or the nearest
 * trusted proxy (TRUST_PROXY) says so in the first x-forwarded-proto entry,
 * the one the proxy that the client reached wrote (Express's rule; Fastify
 * reads the last).
 */
export function cameOverHttps(request: HttpRequest, trustsProxy: (address: string, hop: number) => boolean): boolean {
  if ((request.raw.socket as { encrypted?: boolean }).encrypted) return true;
  if (!trustsProxy(request.raw.socket.remoteAddress ?? '', 0)) return false;
  const forwarded = request.headers['x-forwarded-proto'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0].trim().toLowerCase();
  return first === 'https';
}

/** 303 See Other: where the browser goes after a form, or to sign in. */
export function redirectTo(reply: HttpReply, location: string): void {
  void reply.redirect(location, 303);
}
