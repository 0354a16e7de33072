import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { readLifecycleEvent, readNewOrder } from '../../src/webhooks/providers/shelfsync-events.js';
import { EMAIL_RULE, ID_RULE } from '../../src/webhooks/providers/input-rules.js';
import { parseEnvelope } from '../../src/webhooks/providers/shelfsync-envelope.js';
import { fieldsOf, refusal } from '../support/refusal.js';

/** An event's `data`, read as the shelfsync provider reads it. */
const NewOrder = (data: unknown) => readNewOrder(data, 'data');
const LifecycleEvent = (data: unknown) => readLifecycleEvent(data, 'data');
const parseEventData = <T>(read: (data: unknown) => T, data: unknown): T => read(data);
/** The fields of `data` named in `names` that it has. */
const knownFields = (data: object, names: string[]) => Object.fromEntries(Object.entries(data).filter(([name]) => names.includes(name)));

const envelope = (body: string | Buffer, headers: IncomingHttpHeaders = {}) =>
  parseEnvelope(Buffer.isBuffer(body) ? body : Buffer.from(body), headers);
const sha256 = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;
/** A body nesting `depth` levels deep, the envelope itself being the first. */
const nestedBody = (depth: number, open = '{"a":', close = '}') =>
  `{"event":"x","data":${open.repeat(depth - 1)}1${close.repeat(depth - 1)}}`;

describe('parseEnvelope: the event name', () => {
  it.each([
    ['reads the name from event', '{"event":"new_order","data":{}}', 'new_order'],
    ['reads it from type when there is no event (Stripe)', '{"type":"charge.succeeded","data":{}}', 'charge.succeeded'],
    ['prefers event when both are given', '{"event":"payment_succeeded","type":"charge.succeeded","data":{}}', 'payment_succeeded'],
    ['accepts a name of 100 characters', `{"event":"${'e'.repeat(100)}","data":{}}`, 'e'.repeat(100)],
    ['accepts dots, colons and dashes in a name', '{"event":"invoice:payment-failed.v2","data":{}}', 'invoice:payment-failed.v2'],
  ])('%s', (_what, body, type) => {
    expect(envelope(body).type).toBe(type);
  });

  it.each([
    ['no event nor type', '{"data":{}}', 'event', 'event (or type) is required'],
    ['an event that is a number', '{"event":42,"data":{}}', 'event', 'event must be an event name such as new_order'],
    ['an event that is null', '{"event":null,"data":{}}', 'event', 'event must be an event name such as new_order'],
    ['a type that is an object', '{"type":{"name":"x"},"data":{}}', 'type', 'type must be an event name such as new_order'],
    ['an empty event', '{"event":"","data":{}}', 'event', 'event must be an event name such as new_order'],
    ['an event with a space', '{"event":"new order","data":{}}', 'event', 'event must be an event name such as new_order'],
    ['an event of 101 characters', `{"event":"${'e'.repeat(101)}","data":{}}`, 'event', 'event must be an event name such as new_order'],
  ])('refuses %s, naming the field', (_what, body, field, message) => {
    expect(refusal(() => envelope(body)).errors).toEqual([{ field, message }]);
  });
});

describe('parseEnvelope: the event id', () => {
  const body = '{"id":"evt_body","event":"x","data":{}}';
  const anonymous = '{"event":"x","data":{}}';

  it.each([
    ['the webhook-id header first', body, { 'webhook-id': 'msg_header', 'svix-id': 'msg_svix' }, 'msg_header'],
    ["Svix's svix-id header without webhook-id", body, { 'svix-id': 'msg_svix' }, 'msg_svix'],
    ["the body's id without a header", body, {}, 'evt_body'],
    ["the body's integer id, as text", '{"id":42,"event":"x","data":{}}', {}, '42'],
    ["the body's integer id beyond 2^53, digit for digit", '{"id":9007199254740993,"event":"x","data":{}}', {}, '9007199254740993'],
    ['a header id on a body without id', anonymous, { 'webhook-id': 'msg_header' }, 'msg_header'],
    ['sha256: and the hex digest of the raw bytes without any id', anonymous, {}, sha256(anonymous)],
    ['the digest of the bytes as sent, spacing included', '{ "event": "x", "data": {} }', {}, sha256('{ "event": "x", "data": {} }')],
    ['the digest when the body id is null', '{"id":null,"event":"x","data":{}}', {}, sha256('{"id":null,"event":"x","data":{}}')],
  ])('takes %s', (_what, text, headers: IncomingHttpHeaders, eventId) => {
    expect(envelope(text, headers).eventId).toBe(eventId);
  });

  it('gives two bodies that differ by one space two ids, and the same bytes the same id', () => {
    const a = envelope('{"event":"x","data":{}}').eventId;
    expect(envelope('{"event":"x","data":{}}').eventId).toBe(a);
    expect(envelope('{"event":"x", "data":{}}').eventId).not.toBe(a);
  });

  it.each([
    ['an empty webhook-id header', anonymous, { 'webhook-id': '' }, 'webhook-id'],
    ['a webhook-id of 201 characters', anonymous, { 'webhook-id': 'm'.repeat(201) }, 'webhook-id'],
    ['an empty body id', '{"id":"","event":"x","data":{}}', {}, 'id'],
    ['a fractional body id', '{"id":1.5,"event":"x","data":{}}', {}, 'id'],
    ['a body id written with an exponent', '{"id":1e400,"event":"x","data":{}}', {}, 'id'],
    ['a negative body id', '{"id":-1,"event":"x","data":{}}', {}, 'id'],
    ['a body id that is true', '{"id":true,"event":"x","data":{}}', {}, 'id'],
    ['a body id with a control character', '{"id":"evt\\u0007","event":"x","data":{}}', {}, 'id'],
    ['a body id with a lone surrogate', '{"id":"evt\\ud800","event":"x","data":{}}', {}, 'id'],
  ])('refuses %s', (_what, text, headers: IncomingHttpHeaders, field) => {
    expect(refusal(() => envelope(text, headers)).errors).toEqual([
      { field, message: `${field} must be an integer written in digits, or a string of 1 to 200 characters without control characters (numeric text only as digits: not 1e400 or 1.5)` },
    ]);
  });
});

describe('parseEnvelope: the body', () => {
  it.each([
    ['an object', '{"event":"x","data":{"order_id":1}}', { order_id: 1 }],
    ['null (left to the event data rules)', '{"event":"x","data":null}', null],
    ['a string (left to the event data rules)', '{"event":"x","data":"s"}', 's'],
    ['a body 32 levels deep', nestedBody(32), JSON.parse(nestedBody(32)).data],
  ])('hands on data that is %s as given', (_what, text, data) => {
    expect(envelope(text).data).toEqual(data);
  });

  it.each([
    ['truncated JSON', 'body', '{"event":"x","data":{', /^body is not valid JSON \(/],
    ['an empty body', 'body', '', /^body is not valid JSON \(/],
    ['two JSON values', 'body', '{"event":"x","data":{}}{}', /^body is not valid JSON \(/],
    ['bytes that are not UTF-8', 'body', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), /^body is not valid UTF-8$/],
    ['a JSON array', 'body', '[{"event":"x","data":{}}]', /^body must be a JSON object$/],
    ['a JSON string', 'body', '"new_order"', /^body must be a JSON object$/],
    ['a JSON number', 'body', '42', /^body must be a JSON object$/],
    ['JSON null', 'body', 'null', /^body must be a JSON object$/],
    ['objects 33 levels deep', 'body', nestedBody(33), /^body nests deeper than 32 levels$/],
    ['arrays 33 levels deep', 'body', nestedBody(33, '[', ']'), /^body nests deeper than 32 levels$/],
    ['objects 5000 levels deep', 'body', nestedBody(5000), /^body nests deeper than 32 levels$/],
    ['no data', 'data', '{"event":"x"}', /^data is required$/],
  ])('refuses %s as a 400 naming %s', (_what, field, text, message) => {
    const error = refusal(() => envelope(text));
    expect(error.status).toBe(400);
    expect(error.code).toBe('invalid_payload');
    expect(error.errors).toEqual([{ field, message: expect.stringMatching(message) }]);
  });

  it('names every bad field of the envelope at once, in the message too', () => {
    const error = refusal(() => envelope('{"id":true,"event":7}', { 'webhook-id': '' }));
    expect(fieldsOf(error)).toEqual(['event', 'webhook-id', 'id', 'data']);
    expect(error.message).toMatch(/^invalid webhook payload: event: .*; webhook-id: .*; id: .*; data: data is required$/);
  });

  it.each([
    ['literally', '__proto__'],
    ['with \\u escapes for its first underscore', '\\u005f_proto__'],
    ['with a \\u escape inside', '__pr\\u006fto__'],
  ])('drops a __proto__ key spelt %s, so no payload reaches a prototype', (_how, key) => {
    const { data } = envelope(`{"event":"x","data":{"${key}":{"polluted":true},"kept":1}}`);
    expect(Object.getOwnPropertyNames(data)).toEqual(['kept']);
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('drops a top-level __proto__ key too: it cannot stand in for the event name', () => {
    expect(fieldsOf(refusal(() => envelope('{"__proto__":{"event":"new_order"},"data":{}}')))).toEqual(['event']);
  });
});

const ORDER = { order_id: 'o-1', customer_name: 'Ada', total_amount: 10 };
const EMAIL_MESSAGE = `customer_email must be ${EMAIL_RULE}`;
const LINE = { sku: 'SKU-1', quantity: 1 };

describe('readNewOrder', () => {
  it.each([
    ['the required fields only', ORDER],
    ['an integer order id', { ...ORDER, order_id: 12345 }],
    ['order id 0', { ...ORDER, order_id: 0 }],
    ['an order id of 128 characters', { ...ORDER, order_id: 'o'.repeat(128) }],
    ['every optional field', { ...ORDER, customer_email: 'ada@example.com', currency: 'eur', items: [{ ...LINE, unit_price: 9.9999 }] }],
    ['a total of 0', { ...ORDER, total_amount: 0 }],
    ['a total of 10^12 with 4 decimals', { ...ORDER, total_amount: 999_999_999_999.9999 }],
    ['no lines', { ...ORDER, items: [] }],
    ['500 lines', { ...ORDER, items: Array.from({ length: 500 }, () => LINE) }],
    ['a quantity of 1,000,000', { ...ORDER, items: [{ ...LINE, quantity: 1_000_000 }] }],
    ['fields it does not know (gateways add fields)', { ...ORDER, channel: 'web', meta: { a: 1 } }],
  ])('accepts %s', (_what, data) => {
    const order = parseEventData(NewOrder, data);
    // The fields it knows, as given (the order id as its text); fields it does not know are left behind.
    const known = knownFields(data, ['order_id', 'customer_name', 'customer_email', 'total_amount', 'currency', 'items']);
    expect(order).toEqual({ ...known, order_id: String(data.order_id) });
    expect(Object.getPrototypeOf(order)).toBe(Object.prototype);
  });

  it.each(([
    ['data that is null', null, 'data'],
    ['data that is an array', [ORDER], 'data'],
    ['data that is a string', 'o-1', 'data'],
    ['a missing order_id', { customer_name: 'Ada', total_amount: 10 }, 'data.order_id'],
    ['an order_id of null', { ...ORDER, order_id: null }, 'data.order_id'],
    ['an empty order_id', { ...ORDER, order_id: '' }, 'data.order_id'],
    ['an order_id of 129 characters', { ...ORDER, order_id: 'o'.repeat(129) }, 'data.order_id'],
    ['a negative order_id', { ...ORDER, order_id: -1 }, 'data.order_id'],
    ['a fractional order_id', { ...ORDER, order_id: 1.5 }, 'data.order_id'],
    ['an order_id beyond 2^53', { ...ORDER, order_id: 2 ** 53 }, 'data.order_id'],
    ['an order_id that is true', { ...ORDER, order_id: true }, 'data.order_id'],
    ['an order_id with a lone surrogate', { ...ORDER, order_id: 'a\ud800b' }, 'data.order_id'],
    ['a missing customer_name', { order_id: 'o-1', total_amount: 10 }, 'data.customer_name'],
    ['an empty customer_name', { ...ORDER, customer_name: '' }, 'data.customer_name'],
    ['a customer_name of 201 characters', { ...ORDER, customer_name: 'n'.repeat(201) }, 'data.customer_name'],
    ['a customer_name with a NUL', { ...ORDER, customer_name: 'A\u0000B' }, 'data.customer_name'],
    ['a customer_name that is a number', { ...ORDER, customer_name: 5 }, 'data.customer_name'],
    ['a customer_email that is not an address', { ...ORDER, customer_email: 'not-an-email' }, 'data.customer_email'],
    ['a customer_email longer than 254 characters', { ...ORDER, customer_email: `${'a'.repeat(250)}@example.com` }, 'data.customer_email'],
    ['a missing total_amount', { order_id: 'o-1', customer_name: 'Ada' }, 'data.total_amount'],
    ['a total_amount as text', { ...ORDER, total_amount: '10' }, 'data.total_amount'],
    ['a negative total_amount', { ...ORDER, total_amount: -0.01 }, 'data.total_amount'],
    ['a total_amount above 10^12', { ...ORDER, total_amount: 1e12 + 1 }, 'data.total_amount'],
    ['a total_amount with 5 decimals', { ...ORDER, total_amount: 1.00001 }, 'data.total_amount'],
    ['a total_amount of 1e-7', { ...ORDER, total_amount: 1e-7 }, 'data.total_amount'],
    ['a currency of 2 letters', { ...ORDER, currency: 'US' }, 'data.currency'],
    ['a currency that is a word', { ...ORDER, currency: 'DOLLARS' }, 'data.currency'],
    ['a currency that is a number', { ...ORDER, currency: 840 }, 'data.currency'],
    ['items that are an object', { ...ORDER, items: LINE }, 'data.items'],
    ['501 lines', { ...ORDER, items: Array.from({ length: 501 }, () => LINE) }, 'data.items'],
    ['a line that is a number', { ...ORDER, items: [5] }, 'data.items[0]'],
    ['a line without sku', { ...ORDER, items: [{ quantity: 1 }] }, 'data.items[0].sku'],
    ['a sku of 101 characters', { ...ORDER, items: [{ ...LINE, sku: 's'.repeat(101) }] }, 'data.items[0].sku'],
    ['a sku with a newline', { ...ORDER, items: [{ ...LINE, sku: 'SKU\n1' }] }, 'data.items[0].sku'],
    ['a line without quantity', { ...ORDER, items: [{ sku: 'SKU-1' }] }, 'data.items[0].quantity'],
    ['a quantity of 0', { ...ORDER, items: [{ ...LINE, quantity: 0 }] }, 'data.items[0].quantity'],
    ['a negative quantity', { ...ORDER, items: [{ ...LINE, quantity: -2 }] }, 'data.items[0].quantity'],
    ['a fractional quantity', { ...ORDER, items: [{ ...LINE, quantity: 1.5 }] }, 'data.items[0].quantity'],
    ['a quantity above 1,000,000', { ...ORDER, items: [{ ...LINE, quantity: 1_000_001 }] }, 'data.items[0].quantity'],
    ['a quantity as text', { ...ORDER, items: [{ ...LINE, quantity: '1' }] }, 'data.items[0].quantity'],
    ['a negative unit_price', { ...ORDER, items: [{ ...LINE, unit_price: -1 }] }, 'data.items[0].unit_price'],
    ['a unit_price with 5 decimals', { ...ORDER, items: [{ ...LINE, unit_price: 1.00001 }] }, 'data.items[0].unit_price'],
    ['a bad third line', { ...ORDER, items: [LINE, LINE, { ...LINE, quantity: 0 }] }, 'data.items[2].quantity'],
  ] as [string, unknown, string][]).map(([what, data, field]) => [what, field, data] as const))('refuses %s, naming %s', (_what, field, data) => {
    const error = refusal(() => parseEventData(NewOrder, data));
    expect(error.status).toBe(400);
    expect(fieldsOf(error)).toEqual([field]);
    expect(error.message).toContain(`${field}: `);
  });

  it.each([
    ['data.order_id', 'order_id is required', { ...ORDER, order_id: undefined }],
    ['data.items[0].quantity', 'quantity must be at least 1', { ...ORDER, items: [{ ...LINE, quantity: 0 }] }],
    ['data.total_amount', 'total_amount must not be negative', { ...ORDER, total_amount: -1 }],
    ['data.total_amount', 'total_amount must be a number with at most 4 decimals', { ...ORDER, total_amount: 1.00001 }],
    ['data.currency', 'currency must be a 3-letter code', { ...ORDER, currency: 'US' }],
    ['data.items', 'items must hold at most 500 lines', { ...ORDER, items: Array.from({ length: 501 }, () => LINE) }],
    // The type before the range (class-validator with stopAtFirstError named the last rule instead: "at most 1000000000000").
    ['data.total_amount', 'total_amount must be a number with at most 4 decimals', { ...ORDER, total_amount: '10' }],
    ['data.total_amount', 'total_amount must be at most 1000000000000', { ...ORDER, total_amount: 1e12 + 1 }],
    ['data.items', 'items must be an array', { ...ORDER, items: 'SKU-1' }],
    ['data.items[0]', 'each line of items must be an object', { ...ORDER, items: [[LINE]] }],
    ['data.items[0].quantity', 'quantity must be an integer', { ...ORDER, items: [{ ...LINE, quantity: '1' }] }],
    ['data.items[0].quantity', 'quantity must be at most 1000000', { ...ORDER, items: [{ ...LINE, quantity: 1_000_001 }] }],
    ['data.items[0].quantity', 'quantity is required', { ...ORDER, items: [{ ...LINE, quantity: null }] }],
    ['data.items[0].unit_price', 'unit_price must not be negative', { ...ORDER, items: [{ ...LINE, unit_price: -1 }] }],
    ['data.customer_email', EMAIL_MESSAGE, { ...ORDER, customer_email: 5 }],
    ['data.customer_email', EMAIL_MESSAGE, { ...ORDER, customer_email: `${'a'.repeat(250)}@b.co` }],
    ['data.customer_email', EMAIL_MESSAGE, { ...ORDER, customer_email: 'ada\u0001@example.com' }],
    ['data.order_id', `order_id must be ${ID_RULE}`, { ...ORDER, order_id: 1.5 }],
  ])('says what is wrong: %s: %s', (field, message, data) => {
    expect(refusal(() => parseEventData(NewOrder, data)).errors).toEqual([{ field, message }]);
  });

  it('names every bad field at once, nested lines included', () => {
    const error = refusal(() =>
      parseEventData(NewOrder, { order_id: true, customer_name: 5, total_amount: '10', items: [LINE, { sku: '', quantity: 0 }] }),
    );
    expect(fieldsOf(error)).toEqual(['data.order_id', 'data.customer_name', 'data.total_amount', 'data.items[1].sku', 'data.items[1].quantity']);
  });
});

describe('readLifecycleEvent', () => {
  it.each([
    ['an order id only', { order_id: 'o-1' }],
    ['an integer order id', { order_id: 7 }],
    ['a payment with amount and payment id', { order_id: 'o-1', amount: 19.5, payment_id: 'pi_1' }],
    ['an amount of 0', { order_id: 'o-1', amount: 0 }],
    ['an empty reason', { order_id: 'o-1', reason: '' }],
    ['a reason of 500 characters', { order_id: 'o-1', reason: 'r'.repeat(500) }],
    ['restock true', { order_id: 'o-1', restock: true }],
    ['restock false', { order_id: 'o-1', restock: false }],
    ['fields it does not know', { order_id: 'o-1', gateway: { attempt: 2 } }],
  ])('accepts %s', (_what, data) => {
    const event = parseEventData(LifecycleEvent, data);
    expect(event).toEqual({ ...knownFields(data, ['order_id', 'amount', 'payment_id', 'reason', 'restock']), order_id: String(data.order_id) });
  });

  it.each(([
    ['data that is missing its order_id', {}, 'data.order_id'],
    ['an order_id that is an object', { order_id: { id: 1 } }, 'data.order_id'],
    ['a negative amount', { order_id: 'o-1', amount: -5 }, 'data.amount'],
    ['an amount above 10^12', { order_id: 'o-1', amount: 1e13 }, 'data.amount'],
    ['an amount with 5 decimals', { order_id: 'o-1', amount: 0.00001 }, 'data.amount'],
    ['an amount as text', { order_id: 'o-1', amount: '5' }, 'data.amount'],
    ['an empty payment_id', { order_id: 'o-1', payment_id: '' }, 'data.payment_id'],
    ['a payment_id of 201 characters', { order_id: 'o-1', payment_id: 'p'.repeat(201) }, 'data.payment_id'],
    ['a reason of 501 characters', { order_id: 'o-1', reason: 'r'.repeat(501) }, 'data.reason'],
    ['a reason with a control character', { order_id: 'o-1', reason: 'card\u001bdeclined' }, 'data.reason'],
    ['restock as text', { order_id: 'o-1', restock: 'true' }, 'data.restock'],
    ['restock as 1', { order_id: 'o-1', restock: 1 }, 'data.restock'],
  ] as [string, unknown, string][]).map(([what, data, field]) => [what, field, data] as const))('refuses %s, naming %s', (_what, field, data) => {
    expect(fieldsOf(refusal(() => parseEventData(LifecycleEvent, data)))).toEqual([field]);
  });

  it('says restock must be true or false', () => {
    expect(refusal(() => parseEventData(LifecycleEvent, { order_id: 1, restock: 'yes' })).errors).toEqual([
      { field: 'data.restock', message: 'restock must be true or false' },
    ]);
  });
});
