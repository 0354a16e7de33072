import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import helmet, { type HelmetOptions } from 'helmet';
import type { ErrorBody } from '../common/all-exceptions.filter.js';
import { AppError } from '../common/app-error.js';

/**
 * The headers helmet sets, computed once: with no per-request directive they
 * are the same for every answer, so each request copies them instead of
 * running helmet's middleware chain.
 */
export function securityHeaders(options: HelmetOptions): [string, string][] {
  const headers = new Map<string, string>();
  const response = {
    setHeader: (name: string, value: string | number | string[]) => headers.set(name.toLowerCase(), String(value)),
    removeHeader: (name: string) => headers.delete(name.toLowerCase()),
  };
  let finished = false;
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error instanceof Error ? error : new Error('helmet refused its options');
    finished = true;
  });
  if (!finished || headers.size === 0) throw new Error('helmet did not set its headers synchronously');
  return [...headers];
}

/**
 * Fastify's own refusals, before any parser or route runs, as the service's
 * errors (toAppError reads them, raw or wrapped by Nest); the request's path
 * is not repeated back.
 */
const FASTIFY_REFUSALS: Record<string, () => AppError> = {
  FST_ERR_BAD_URL: () => new AppError(400, 'bad_request', 'the path is not valid percent-encoding'),
  FST_ERR_MAX_PARAM_LENGTH: () => new AppError(414, 'uri_too_long', `a path segment is longer than ${MAX_PARAM_LENGTH} characters`),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () =>
    new AppError(415, 'unsupported_media_type', 'the content-type header is not a media type (type/subtype)'),
};

export function fastifyRefusalOf(error: unknown): AppError | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? FASTIFY_REFUSALS[code]?.() : undefined;
}

/** Longest route parameter: as long as a URL can be, so that a too long SKU is a 400 naming it. */
export const MAX_PARAM_LENGTH = 8192;

/**
 * Requests Node's HTTP parser refuses (not HTTP, headers past 16 kB, not
 * whole within the request timeout): answered in the service's JSON error
 * shape, then the connection is closed, as Node itself does.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'request_timeout', 'the request did not arrive whole in time']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'request_header_fields_too_large', 'the request headers are larger than 16 kB']
        : [400, 'bad_request', 'the request is not valid HTTP/1.1'];
  const body = JSON.stringify({ statusCode: status, error: code, message } satisfies ErrorBody);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
