import type { IncomingMessage } from 'node:http';
import { parse as parseForm } from 'node:querystring';
import { AppError } from '../common/app-error.js';
import { isWebhookRoute } from './http.js';
import type { ByteSize } from '../config/variable-parsers.js';

/** In bytes, and as the operator wrote it, for the 413's message. */
type Limit = ByteSize;

export interface BodyLimits {
  /** POST /webhooks[/{source}]: WEBHOOK_BODY_LIMIT. */
  webhooks: Limit;
  /** The console's forms. */
  console: Limit;
  /** JSON bodies of the management API. */
  json: Limit;
}

type Done = (error: Error | null, body?: unknown) => void;

/**
 * Reads every request body, for every content type, by path:
 *
 * - /webhooks and /webhooks/{source}: the exact bytes, whatever the content
 *   type, because the signature is over them; a compressed body is refused
 *   (415), since the signature covers the bytes on the wire;
 * - /console: its urlencoded forms;
 * - everywhere: JSON (`application/json` or `+json`), an object or an array;
 *   an empty JSON body reads as `{}`. Other types leave the body unset.
 *
 * Each has its limit (413 `payload_too_large`, naming it); errors are
 * AppErrors, so they leave as the service's JSON error.
 */
export class RequestBodies {
  private readonly webhooks: Limit;
  private readonly console: Limit;
  private readonly json: Limit;

  constructor(limits: BodyLimits) {
    this.webhooks = limits.webhooks;
    this.console = limits.console;
    this.json = limits.json;
  }

  /**
   * A Fastify content-type parser (registered for `*`), given the route the
   * request matched (`/webhooks/:source`, see routeOf) and the body stream.
   */
  parse(route: string, payload: IncomingMessage, done: Done): void {
    const encoding = payload.headers['content-encoding'];
    if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
      done(new AppError(415, 'unsupported_media_type', `content-encoding ${encoding} is not accepted: send the body uncompressed`));
      return;
    }
    if (isWebhookRoute(route)) {
      readAll(payload, this.webhooks, done);
      return;
    }
    const type = mediaTypeOf(payload.headers['content-type']);
    if (type === 'application/x-www-form-urlencoded' && route.startsWith('/console')) {
      readAll(payload, this.console, (error, body) => (error ? done(error) : done(null, parseForm((body as Buffer).toString('utf8')))));
      return;
    }
    if (type === 'application/json' || type.endsWith('+json')) {
      readAll(payload, this.json, (error, body) => (error ? done(error) : parseJson(body as Buffer, done)));
      return;
    }
    done(null, undefined);
  }
}

function mediaTypeOf(header: string | undefined): string {
  if (header === undefined) return '';
  const semicolon = header.indexOf(';');
  return (semicolon === -1 ? header : header.slice(0, semicolon)).trim().toLowerCase();
}

function parseJson(body: Buffer, done: Done): void {
  if (body.length === 0) {
    done(null, {});
    return;
  }
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    value = undefined;
  }
  if (typeof value === 'object' && value !== null) done(null, value);
  else done(AppError.invalid([{ field: 'body', message: 'body is not valid JSON' }]));
}

/**
 * How much of a body past its limit is still read (and thrown away) before
 * the 413, and for how long: a client that is still sending when the answer
 * and the close come gets a broken pipe instead of the 413, and a gateway
 * takes that for a network error and retries.
 */
export const DISCARD_AT_MOST = { bytes: 16 * 1024 * 1024, ms: 2_000 };

/** The whole body as one Buffer of its own, or a 413 once it passes the limit (or announces it will). */
function readAll(payload: IncomingMessage, limit: Limit, done: Done): void {
  const tooLarge = () => new AppError(413, 'payload_too_large', `request body exceeds the limit of ${limit.text}`);
  const announced = payload.headers['content-length'];
  if (announced !== undefined && Number(announced) > limit.bytes) {
    discardThen(payload, 0, () => done(tooLarge()));
    return;
  }
  const chunks: Buffer[] = [];
  let received = 0;
  const stop = () => {
    payload.off('data', onData);
    payload.off('end', onEnd);
    payload.off('error', onError);
  };
  const onData = (chunk: Buffer) => {
    received += chunk.length;
    if (received <= limit.bytes) {
      chunks.push(chunk);
      return;
    }
    stop();
    chunks.length = 0;
    discardThen(payload, received, () => done(tooLarge()));
  };
  // A copy, never a view of the socket's read buffer.
  const onEnd = () => {
    stop();
    done(null, Buffer.concat(chunks, received));
  };
  const onError = () => {
    stop();
    done(new AppError(400, 'bad_request', 'the request body could not be read'));
  };
  payload.on('data', onData);
  payload.on('end', onEnd);
  payload.on('error', onError);
}

/**
 * Reads the rest of a refused body and drops it, then calls `answer`: at the
 * body's end, once DISCARD_AT_MOST is reached, or if the stream fails. The
 * answer closes the connection either way.
 */
function discardThen(payload: IncomingMessage, alreadyRead: number, answer: () => void): void {
  const announced = Number(payload.headers['content-length']);
  if (payload.readableEnded || announced - alreadyRead > DISCARD_AT_MOST.bytes) {
    answer();
    return;
  }
  let dropped = 0;
  let answered = false;
  const finish = () => {
    if (answered) return;
    answered = true;
    clearTimeout(timer);
    payload.off('data', onData);
    payload.off('end', finish);
    payload.off('error', finish);
    payload.off('close', finish);
    answer();
  };
  const onData = (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > DISCARD_AT_MOST.bytes) finish();
  };
  const timer = setTimeout(finish, DISCARD_AT_MOST.ms);
  payload.on('data', onData);
  payload.on('end', finish);
  payload.on('error', finish);
  payload.on('close', finish);
}
