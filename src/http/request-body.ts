import type { IncomingMessage } from 'node:http';
import { parse as parseForm } from 'node:querystring';
import { AppError } from '../common/app-error.js';
import { BodyBudget, type BodyHold } from './body-budget.js';
import { isWebhookRoute } from './http.js';
import type { ByteSize } from '../config/variable-parsers.js';


export interface BodyLimits {
  /** POST /webhooks[/{source}]: WEBHOOK_BODY_LIMIT. */
  webhooks: ByteSize;
  /** The console's forms. */
  console: ByteSize;
  /** JSON bodies of the management API. */
  json: ByteSize;
}

type Done = (error: Error | null, body?: unknown) => void;

/**
 * The edge's fixed rules for bodies while they arrive (README, "The edge").
 */
export interface BodyRules {
  /** A body not whole this long after its headers is answered 408 (and its connection closed). */
  readDeadlineMs: number;
  /** A body of which no byte arrives for this long is answered 408 (and its connection closed), its deadline notwithstanding. */
  idleMs: number;
  /** Body bytes read or held at once, by the whole process (BodyBudget); at least one body at the webhook limit. */
  budgetBytes: number;
  /** Bytes one client address may have in bodies still arriving (BodyBudget), a small share of the budget; at least one body at the webhook limit. */
  perAddressBytes: number;
  /** Once the service stops, how long a body still arriving may take before it is answered 503. */
  stopGraceMs: number;
}

export const BODY_RULES: BodyRules = {
  readDeadlineMs: 20_000,
  idleMs: 5_000,
  budgetBytes: 16 * 1024 * 1024,
  perAddressBytes: 2 * 1024 * 1024,
  stopGraceMs: 1_000,
};

/** Who sends a body, and the answer whose end frees what the body holds. */
export interface BodySender {
  /** The client's address (an IPv6 /64 as one, as rate limits count: clientKey). */
  address: string;
  /** The request's answer; without it, a body is given back as soon as it is handed over. */
  response?: { once(event: 'close', listener: () => void): unknown };
}

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
 * Each has its limit (413 `payload_too_large`, naming it). Every body must be
 * whole within BodyRules.readDeadlineMs, with no pause of idleMs (408), and
 * its bytes received so far must fit in the BodyBudget (503
 * past the process's bytes, 429 past its address's); once stop() is called,
 * bodies still arriving get stopGraceMs, then a 503. Errors are AppErrors, so
 * they leave as the service's JSON error.
 */
export class RequestBodies {
  private readonly webhooks: ByteSize;
  private readonly console: ByteSize;
  private readonly json: ByteSize;
  private readonly budget: BodyBudget;
  private readonly reading = new Set<BodyRead>();
  private stopping = false;

  constructor(
    limits: BodyLimits,
    private readonly rules: BodyRules = BODY_RULES,
  ) {
    this.webhooks = limits.webhooks;
    this.console = limits.console;
    this.json = limits.json;
    this.budget = new BodyBudget(Math.max(rules.budgetBytes, this.webhooks.bytes), Math.max(rules.perAddressBytes, this.webhooks.bytes));
  }

  /** Body bytes read or held now. */
  get bytesHeld(): number {
    return this.budget.inUse;
  }

  /**
   * A Fastify content-type parser (registered for `*`), given the route the
   * request matched (`/webhooks/:source`, see routeOf) and the body stream.
   */
  parse(route: string, payload: IncomingMessage, done: Done, sender: BodySender = { address: '' }): void {
    const encoding = payload.headers['content-encoding'];
    if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
      done(new AppError(415, 'unsupported_media_type', `content-encoding ${encoding} is not accepted: send the body uncompressed`));
      return;
    }
    if (isWebhookRoute(route)) {
      this.readAll(payload, this.webhooks, sender, done);
      return;
    }
    const type = mediaTypeOf(payload.headers['content-type']);
    if (type === 'application/x-www-form-urlencoded' && route.startsWith('/console')) {
      this.readAll(payload, this.console, sender, (error, body) => (error ? done(error) : done(null, parseForm((body as Buffer).toString('utf8')))));
      return;
    }
    if (type === 'application/json' || type.endsWith('+json')) {
      this.readAll(payload, this.json, sender, (error, body) => (error ? done(error) : parseJson(body as Buffer, done)));
      return;
    }
    done(null, undefined);
  }

  /** The service is stopping: each body still arriving has stopGraceMs left at most, then it is answered 503. */
  stop(): void {
    this.stopping = true;
    for (const read of this.reading) read.cutAfter(this.rules.stopGraceMs, shuttingDown);
  }

  private readAll(payload: IncomingMessage, limit: ByteSize, sender: BodySender, done: Done): void {
    const announced = payload.headers['content-length'] === undefined ? undefined : Number(payload.headers['content-length']);
    if (announced !== undefined && announced > limit.bytes) {
      discardThen(payload, 0, () => done(tooLarge(limit)));
      return;
    }
    const hold = this.budget.open(sender.address);
    if (sender.response) sender.response.once('close', () => hold.release());
    const read = new BodyRead(payload, limit, announced, hold, this.rules.idleMs, (error, body) => {
      this.reading.delete(read);
      if (error || !sender.response) hold.release();
      else hold.arrived();
      done(error, body);
    });
    this.reading.add(read);
    read.cutAfter(this.rules.readDeadlineMs, timedOut);
    if (this.stopping) read.cutAfter(this.rules.stopGraceMs, shuttingDown);
  }
}

const tooLarge = (limit: ByteSize) => new AppError(413, 'payload_too_large', `request body exceeds the limit of ${limit.text}`);

/** Closes the connection: the rest of the body is not read. */
const timedOut = (ms: number) =>
  new AppError(408, 'request_timeout', `the request body did not arrive whole within ${ms / 1000} s`, undefined, { connection: 'close' });

/** Closes the connection, as timedOut. */
const idle = (ms: number) =>
  new AppError(408, 'request_timeout', `no byte of the request body arrived for ${ms / 1000} s`, undefined, { connection: 'close' });

const shuttingDown = () =>
  new AppError(503, 'shutting_down', 'the service is stopping and the request body had not arrived whole; retry', undefined, {
    'retry-after': '1',
    connection: 'close',
  });

/** A cut's answer, made from how long the body was given. */
type CutError = (ms: number) => AppError;

/**
 * One body being read: its chunks kept as they arrive and concatenated once
 * at its end (one copy, never a view of the socket's read buffer), the
 * budget grown by each chunk's bytes (what the body holds, not what it
 * announces); 413 past the limit or its announced length. One timer per body
 * keeps both its deadline and its idle cut: it fires at the earlier of the
 * two, and when the body received bytes meanwhile, it is set again.
 */
class BodyRead {
  private readonly chunks: Buffer[] = [];
  private received = 0;
  private timer: NodeJS.Timeout | undefined;
  private cutAt = Infinity;
  /** Makes the cut's answer, only when it is given: an Error's stack is not free, and nearly every body arrives. */
  private cutError: CutError | undefined;
  private cutMs = 0;
  private lastByteAt = Date.now();
  private finished = false;

  constructor(
    private readonly payload: IncomingMessage,
    private readonly limit: ByteSize,
    private readonly announced: number | undefined,
    private readonly hold: BodyHold,
    private readonly idleMs: number,
    private readonly done: Done,
  ) {
    payload.on('data', this.onData);
    payload.on('end', this.onEnd);
    payload.on('error', this.onError);
  }

  /** Gives up on the body `ms` from now (unless an earlier cut is set), answering `error(ms)`. */
  cutAfter(ms: number, error: CutError): void {
    const at = Date.now() + ms;
    if (this.finished || at >= this.cutAt) return;
    this.cutAt = at;
    this.cutError = error;
    this.cutMs = ms;
    this.schedule(Date.now());
  }

  /** The timer, at the earlier of the cut and the idle cut. */
  private schedule(now: number): void {
    clearTimeout(this.timer);
    const at = Math.min(this.cutAt, this.lastByteAt + this.idleMs);
    // Unref'd: a body being read does not by itself keep the process alive.
    this.timer = setTimeout(expire, Math.max(0, at - now), this).unref();
  }

  /** The timer fired: the body is cut, or, bytes having arrived meanwhile, the timer set again. */
  expire(): void {
    const now = Date.now();
    if (this.cutError && now >= this.cutAt) this.finish(this.cutError(this.cutMs));
    else if (now - this.lastByteAt >= this.idleMs) this.finish(idle(this.idleMs));
    else this.schedule(now);
  }

  private readonly onData = (chunk: Buffer) => {
    this.received += chunk.length;
    if (this.received > this.limit.bytes || (this.announced !== undefined && this.received > this.announced)) {
      this.drop(tooLarge(this.limit));
      return;
    }
    const refusal = this.hold.grow(chunk.length);
    if (refusal) {
      this.drop(refusal);
      return;
    }
    this.lastByteAt = Date.now();
    this.chunks.push(chunk);
  };

  private readonly onEnd = () => {
    const body = Buffer.concat(this.chunks, this.received);
    this.chunks.length = 0;
    this.finish(null, body);
  };

  private readonly onError = () => this.finish(abortedError(this.payload));

  /** Refuses the body: the rest is read and dropped, then `error` answered. */
  private drop(error: AppError): void {
    this.stopListening();
    this.chunks.length = 0;
    clearTimeout(this.timer);
    this.finished = true;
    discardThen(this.payload, this.received, () => this.done(error));
  }

  private stopListening(): void {
    this.payload.off('data', this.onData);
    this.payload.off('end', this.onEnd);
    this.payload.off('error', this.onError);
  }

  private finish(error: AppError | null, body?: Buffer): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.timer);
    this.stopListening();
    this.done(error, body);
  }
}

/** The timer's callback, one for every body (no closure per body). */
const expire = (read: BodyRead) => read.expire();

/**
 * Why a body stream failed: Node's own request timeout (the server answered
 * 408 in answerClientError and closed the socket) is a 408, anything else a
 * 400, so that the log says what the client was told.
 */
function abortedError(payload: IncomingMessage): AppError {
  const cause = (payload.socket as { errored?: { code?: unknown } | null } | null | undefined)?.errored;
  if (cause?.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return new AppError(408, 'request_timeout', 'the request did not arrive whole in time');
  }
  return new AppError(400, 'bad_request', 'the request body could not be read');
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
