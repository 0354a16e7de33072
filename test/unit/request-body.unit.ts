import { describe, expect, it } from '@jest/globals';
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { HttpException } from '@nestjs/common';
import { toAppError } from '../../src/common/all-exceptions.filter.js';
import { AppError } from '../../src/common/app-error.js';
import { byteSizeOf } from '../../src/config/variable-parsers.js';
import { type BodyRules, type BodySender, DISCARD_AT_MOST, RequestBodies } from '../../src/http/request-body.js';
import { securityHeaders } from '../../src/http/server-options.js';

const bodies = new RequestBodies({ webhooks: byteSizeOf('1kb'), console: byteSizeOf('64b'), json: byteSizeOf('128b') });

/** A request body as the server hands it over: a stream with headers, sent in the chunks given. */
function payload(headers: Record<string, string>, chunks: string[]): IncomingMessage {
  const stream = new PassThrough() as unknown as IncomingMessage & PassThrough;
  stream.headers = headers;
  setImmediate(() => {
    for (const chunk of chunks) stream.write(Buffer.from(chunk));
    stream.end();
  });
  return stream;
}

/** What the reader makes of a body sent to `route` (the route matched, as declared). */
function parse(route: string, headers: Record<string, string>, ...chunks: string[]): Promise<{ error: AppError | null; body: unknown }> {
  return new Promise((resolve) => {
    bodies.parse(route, payload(headers, chunks), (error, body) => resolve({ error: error as AppError | null, body }));
  });
}

describe('RequestBodies (every body, by path)', () => {
  it.each([
    ['application/json', '{"a":1}'],
    ['application/x-www-form-urlencoded', 'a=1&b=2'],
    ['text/plain', 'anything'],
    ['not a media type at all', 'x'],
  ])('keeps the exact bytes of a webhook sent as %s', async (type, text) => {
    const { error, body } = await parse('/webhooks/:source', { 'content-type': type }, text.slice(0, 2), text.slice(2));
    expect(error).toBeNull();
    expect(Buffer.isBuffer(body) && body.toString()).toBe(text);
  });

  it('keeps a webhook body sent without a content type', async () => {
    const { body } = await parse('/webhooks', {}, 'raw');
    expect((body as Buffer).toString()).toBe('raw');
  });

  it.each([
    ['announced by content-length', { 'content-length': '1025' }, ['x']],
    ['streamed past the limit', {}, ['x'.repeat(600), 'x'.repeat(600)]],
  ])('answers 413 naming the limit for a webhook body %s', async (_case, headers, chunks) => {
    const { error } = await parse('/webhooks', headers, ...chunks);
    expect(error).toMatchObject({ status: 413, code: 'payload_too_large', message: 'request body exceeds the limit of 1kb' });
  });

  it('reads the rest of a refused body before the 413, so that a sender still writing gets the answer', async () => {
    const stream = new PassThrough() as unknown as IncomingMessage & PassThrough;
    stream.headers = { 'content-length': String(3 * 1024) };
    let answered: AppError | undefined;
    bodies.parse('/webhooks', stream, (error) => (answered = error as AppError));
    stream.write(Buffer.alloc(2048));
    await new Promise((resolve) => setImmediate(resolve));
    expect(answered).toBeUndefined();
    stream.end(Buffer.alloc(1024));
    await new Promise((resolve) => setImmediate(resolve));
    expect(answered).toMatchObject({ status: 413 });
    expect(stream.listenerCount('data')).toBe(0);
  });

  it('answers the 413 anyway once the sender has taken DISCARD_AT_MOST.ms without finishing', async () => {
    const saved = DISCARD_AT_MOST.ms;
    DISCARD_AT_MOST.ms = 30;
    try {
      const stream = new PassThrough() as unknown as IncomingMessage & PassThrough;
      stream.headers = {};
      const answer = new Promise<AppError>((resolve) => bodies.parse('/webhooks', stream, (error) => resolve(error as AppError)));
      stream.write(Buffer.alloc(2048));
      expect(await answer).toMatchObject({ status: 413 });
    } finally {
      DISCARD_AT_MOST.ms = saved;
    }
  });

  it('answers the 413 at once, reading nothing, when the announced body is past what it would read', async () => {
    const stream = new PassThrough() as unknown as IncomingMessage & PassThrough;
    stream.headers = { 'content-length': String(DISCARD_AT_MOST.bytes + 2048) };
    let answered: AppError | undefined;
    bodies.parse('/webhooks', stream, (error) => (answered = error as AppError));
    // The sender is still sending: a drain would wait for the body or DISCARD_AT_MOST.ms.
    stream.write(Buffer.alloc(1024));
    await new Promise((resolve) => setImmediate(resolve));
    expect(answered).toMatchObject({ status: 413 });
    expect(stream.listenerCount('data')).toBe(0);
  });

  it.each(['gzip', 'br', 'deflate'])('refuses a body compressed with %s (415), on any path', async (encoding) => {
    for (const route of ['/webhooks', '/inventory/:sku']) {
      const { error } = await parse(route, { 'content-encoding': encoding, 'content-type': 'application/json' }, '{}');
      expect(error).toMatchObject({ status: 415, code: 'unsupported_media_type' });
      expect(error!.message).toContain(encoding);
    }
  });

  it('accepts content-encoding identity', async () => {
    const { error, body } = await parse('/webhooks', { 'content-encoding': 'identity' }, 'x');
    expect(error).toBeNull();
    expect((body as Buffer).toString()).toBe('x');
  });

  it.each([
    ['an object', 'application/json', '{"on_hand":3}', { on_hand: 3 }],
    ['an array', 'application/json; charset=utf-8', '[1,2]', [1, 2]],
    ['a +json type', 'application/merge-patch+json', '{"a":true}', { a: true }],
    ['an empty body as {}', 'application/json', '', {}],
  ])('reads JSON on the management API: %s', async (_case, type, text, expected) => {
    const { error, body } = await parse('/inventory/:sku', { 'content-type': type }, text);
    expect(error).toBeNull();
    expect(body).toEqual(expected);
  });

  it.each([
    ['truncated', '{"on_hand":'],
    ['a string', '"x"'],
    ['a number', '3'],
    ['null', 'null'],
  ])('answers 400 for a JSON body that is %s', async (_case, text) => {
    const { error } = await parse('/inventory/:sku', { 'content-type': 'application/json' }, text);
    expect(error).toMatchObject({ status: 400, code: 'invalid_payload', errors: [{ field: 'body', message: 'body is not valid JSON' }] });
  });

  it('answers 413 naming the management limit', async () => {
    const { error } = await parse('/inventory/:sku', { 'content-type': 'application/json' }, `{"a":"${'x'.repeat(200)}"}`);
    expect(error).toMatchObject({ status: 413, message: 'request body exceeds the limit of 128b' });
  });

  it('reads the console forms, and only there', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    expect((await parse('/console/login', form, 'token=a%20b&x=1&x=2')).body).toEqual({ token: 'a b', x: ['1', '2'] });
    expect((await parse('/inventory/:sku', form, 'on_hand=3')).body).toBeUndefined();
    expect((await parse('/console/login', form, 'token='.padEnd(65, 'x'))).error).toMatchObject({ status: 413, message: 'request body exceeds the limit of 64b' });
  });

  it('leaves the body unset for other types off the webhooks', async () => {
    const { error, body } = await parse('/inventory/:sku', { 'content-type': 'text/plain' }, '{"on_hand":3}');
    expect(error).toBeNull();
    expect(body).toBeUndefined();
  });
});

/** A body stream as the server hands it over, written by the test. */
function stream(headers: Record<string, string>): IncomingMessage & PassThrough {
  const body = new PassThrough() as unknown as IncomingMessage & PassThrough;
  body.headers = headers;
  return body;
}

/** A request's answer, closed by the test: what frees its body's share of the budget. */
function response(): EventEmitter & { close(): void } {
  const emitter = new EventEmitter() as EventEmitter & { close(): void };
  emitter.close = () => emitter.emit('close');
  return emitter;
}

const RULES: BodyRules = { readDeadlineMs: 60_000, idleMs: 60_000, budgetBytes: 2048, perAddressBytes: 1536, stopGraceMs: 20 };

/** Starts reading a body; `outcome` settles when the reader answers. */
function read(reader: RequestBodies, body: IncomingMessage, sender: BodySender, route = '/webhooks') {
  let settled: { error: AppError | null; body: unknown } | undefined;
  const outcome = new Promise<{ error: AppError | null; body: unknown }>((resolve) =>
    reader.parse(route, body, (error, value) => resolve((settled = { error: error as AppError | null, body: value })), sender),
  );
  return { outcome, settled: () => settled };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('RequestBodies: what bodies may hold, and for how long', () => {
  it('answers 408 request_timeout, closing the connection, to a body not whole within the read deadline', async () => {
    const reader = new RequestBodies({ webhooks: byteSizeOf('1kb'), console: byteSizeOf('64b'), json: byteSizeOf('128b') }, { ...RULES, readDeadlineMs: 30 });
    const body = stream({ 'content-length': '100' });
    const { outcome } = read(reader, body, { address: 'a' });
    body.write(Buffer.alloc(10));
    const { error } = await outcome;
    expect(error).toMatchObject({ status: 408, code: 'request_timeout', headers: { connection: 'close' } });
    expect(body.listenerCount('data')).toBe(0);
    expect(reader.bytesHeld).toBe(0);
  });

  it("maps Node's own request timeout (the socket closed with ERR_HTTP_REQUEST_TIMEOUT) to 408, not 400", async () => {
    const body = stream({});
    Object.defineProperty(body, 'socket', { value: { errored: Object.assign(new Error('Request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }) } });
    const { outcome } = read(bodies, body, { address: 'a' });
    body.destroy(new Error('aborted'));
    expect((await outcome).error).toMatchObject({ status: 408, code: 'request_timeout' });

    const reset = stream({});
    const other = read(bodies, reset, { address: 'a' });
    reset.destroy(new Error('aborted'));
    expect((await other.outcome).error).toMatchObject({ status: 400, code: 'bad_request' });
  });

  it('answers 408 request_timeout, closing the connection, to a body of which no byte arrives for idleMs; a body that keeps arriving is read', async () => {
    const reader = new RequestBodies({ webhooks: byteSizeOf('1kb'), console: byteSizeOf('64b'), json: byteSizeOf('128b') }, { ...RULES, idleMs: 40 });
    const silent = stream({ 'content-length': '100' });
    const cut = read(reader, silent, { address: 'a' });
    silent.write(Buffer.alloc(10));
    const steady = stream({ 'content-length': '10' });
    const whole = read(reader, steady, { address: 'b' });
    for (let i = 0; i < 9; i += 1) {
      steady.write(Buffer.from('x'));
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
    steady.end(Buffer.from('x'));
    expect((await whole.outcome).body).toEqual(Buffer.from('x'.repeat(10)));
    const { error } = await cut.outcome;
    expect(error).toMatchObject({ status: 408, code: 'request_timeout', headers: { connection: 'close' } });
    expect(error?.message).toBe('no byte of the request body arrived for 0.04 s');
    expect(silent.listenerCount('data')).toBe(0);
    expect(reader.bytesHeld).toBe(0);
  });

  it('charges a body only the bytes it has received: bodies announced and not sent take nothing from the budget or their address', async () => {
    const reader = new RequestBodies({ webhooks: byteSizeOf('1kb'), console: byteSizeOf('64b'), json: byteSizeOf('128b') }, RULES);
    const stalled = [...Array(20).keys()].map((i) => {
      const body = stream({ 'content-length': '1024' });
      read(reader, body, { address: i % 2 ? 'a' : 'b', response: response() });
      return body;
    });
    await tick();
    expect(reader.bytesHeld).toBe(0);
    const other = stream({ 'content-length': '1024' });
    const fits = read(reader, other, { address: 'c' });
    other.end(Buffer.alloc(1024));
    expect((await fits.outcome).body).toHaveLength(1024);
    stalled[0].write(Buffer.alloc(300));
    await tick();
    expect(reader.bytesHeld).toBe(300);
  });

  it('holds a body in the budget from its bytes received until its answer is sent; past the budget, 503 with retry-after', async () => {
    const reader = new RequestBodies({ webhooks: byteSizeOf('1kb'), console: byteSizeOf('64b'), json: byteSizeOf('128b') }, RULES);
    const first = response();
    const one = stream({ 'content-length': '1024' });
    const held = read(reader, one, { address: 'a', response: first });
    one.end(Buffer.alloc(1024));
    expect((await held.outcome).body).toHaveLength(1024);
    const second = stream({ 'content-length': '1024' });
    const whole = read(reader, second, { address: 'b', response: response() });
    second.end(Buffer.alloc(1024));
    expect((await whole.outcome).body).toHaveLength(1024);
    expect(reader.bytesHeld).toBe(2048);

    const over = stream({ 'content-length': '1' });
    const refused = read(reader, over, { address: 'c' });
    over.end(Buffer.from('x'));
    expect((await refused.outcome).error).toMatchObject({ status: 503, code: 'server_busy', headers: { 'retry-after': '2', connection: 'close' } });
    first.close();
    expect(reader.bytesHeld).toBe(1024);
    const later = stream({ 'content-length': '1' });
    const fits = read(reader, later, { address: 'c' });
    later.end(Buffer.from('x'));
    expect((await fits.outcome).error).toBeNull();
  });

  it('grows a body in the budget as it arrives, announced or chunked, and refuses it with 503 once past', async () => {
    const reader = new RequestBodies({ webhooks: byteSizeOf('2kb'), console: byteSizeOf('64b'), json: byteSizeOf('128b') }, { ...RULES, perAddressBytes: 4096 });
    const announced = stream({ 'content-length': '2048' });
    read(reader, announced, { address: 'a', response: response() });
    announced.write(Buffer.alloc(1024));
    const chunked = stream({});
    const refused = read(reader, chunked, { address: 'b', response: response() });
    chunked.write(Buffer.alloc(1000));
    await tick();
    expect(reader.bytesHeld).toBe(2024);
    chunked.end(Buffer.alloc(100));
    expect((await refused.outcome).error).toMatchObject({ status: 503, code: 'server_busy' });
    expect(reader.bytesHeld).toBe(1024);
  });

  it('lets one address have perAddressBytes of bodies still arriving; past it, 429 with retry-after, other addresses unaffected', async () => {
    const reader = new RequestBodies({ webhooks: byteSizeOf('1kb'), console: byteSizeOf('64b'), json: byteSizeOf('128b') }, { ...RULES, budgetBytes: 10_000 });
    const slow = stream({ 'content-length': '1024' });
    const first = read(reader, slow, { address: 'a', response: response() });
    slow.write(Buffer.alloc(1000));
    const more = stream({ 'content-length': '600' });
    const refused = read(reader, more, { address: 'a' });
    more.end(Buffer.alloc(600));
    expect((await refused.outcome).error).toMatchObject({ status: 429, code: 'too_many_requests', headers: { 'retry-after': '1' } });
    const elsewhere = stream({ 'content-length': '600' });
    const other = read(reader, elsewhere, { address: 'b' });
    elsewhere.end(Buffer.alloc(600));
    expect((await other.outcome).error).toBeNull();
    // Once whole, a body still held until its answer no longer counts against its address.
    slow.end(Buffer.alloc(24));
    expect((await first.outcome).error).toBeNull();
    const again = stream({ 'content-length': '600' });
    const next = read(reader, again, { address: 'a' });
    again.end(Buffer.alloc(600));
    expect((await next.outcome).error).toBeNull();
  });

  it('on stop, gives a body still arriving stopGraceMs, then answers 503 shutting_down; a body that arrives in time is read', async () => {
    const reader = new RequestBodies({ webhooks: byteSizeOf('1kb'), console: byteSizeOf('64b'), json: byteSizeOf('128b') }, RULES);
    const stalled = stream({ 'content-length': '100' });
    const cut = read(reader, stalled, { address: 'a' });
    const quick = stream({ 'content-length': '3' });
    const whole = read(reader, quick, { address: 'b' });
    reader.stop();
    quick.end(Buffer.from('abc'));
    expect((await whole.outcome).body).toEqual(Buffer.from('abc'));
    expect((await cut.outcome).error).toMatchObject({ status: 503, code: 'shutting_down', headers: { 'retry-after': '1', connection: 'close' } });
  });
});

describe('securityHeaders (helmet, computed once)', () => {
  it('holds helmet headers, with upgrade-insecure-requests only when asked for', () => {
    const plain = new Map(securityHeaders({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } }));
    expect(plain.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(plain.get('content-security-policy')).not.toMatch(/upgrade-insecure-requests/);
    expect(plain.get('strict-transport-security')).toMatch(/max-age=/);
    expect(plain.get('x-content-type-options')).toBe('nosniff');
    expect(plain.has('x-powered-by')).toBe(false);
    const tls = new Map(securityHeaders({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: [] } } }));
    expect(tls.get('content-security-policy')).toMatch(/upgrade-insecure-requests/);
  });
});

describe("Fastify's own refusals, as the service's errors", () => {
  const fastifyError = (code: string, statusCode: number) => Object.assign(new Error('fastify says no'), { code, statusCode });

  it.each([
    ['FST_ERR_BAD_URL', 400, 400, 'bad_request'],
    ['FST_ERR_MAX_PARAM_LENGTH', 414, 414, 'uri_too_long'],
    ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 415, 'unsupported_media_type'],
    ['FST_ERR_ASYNC_CONSTRAINT', 500, 500, 'internal_error'],
  ])('%s, raw (frameworkErrors) or wrapped by Nest, is a %d %s', (code, statusCode, status, error) => {
    const raw = fastifyError(code, statusCode);
    expect(toAppError(raw)).toMatchObject({ status, code: error });
    if (statusCode < 500) expect(toAppError(new HttpException('x', statusCode, { cause: raw }))).toMatchObject({ status, code: error });
  });

  it('does not repeat the path back', () => {
    expect(toAppError(fastifyError('FST_ERR_MAX_PARAM_LENGTH', 414)).message).toBe('a path segment is longer than 8192 characters');
  });
});
