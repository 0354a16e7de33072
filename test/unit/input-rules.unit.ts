import { describe, expect, it } from '@jest/globals';
import { LosslessNumber } from 'lossless-json';
import type { FieldProblem } from '../../src/common/app-error.js';
import {
  amountProblem,
  cleanText,
  currencyOf,
  decimalAmountOf,
  emailOf,
  idOf,
  invalid,
  isObject,
  linesAt,
  MAX_DEPTH,
  MAX_LINES,
  MAX_PROBLEMS,
  MAX_QUANTITY,
  shapeOfJsonText,
  readJson,
} from '../../src/webhooks/providers/input-rules.js';
import { refusal } from '../support/refusal.js';

const json = (text: string) => readJson(Buffer.from(text));

describe('readJson', () => {
  it.each([
    ['a 64-bit integer, digit for digit', '{"id":9007199254740993}', new LosslessNumber('9007199254740993')],
    ['1e400 as its text, not Infinity', '{"id":1e400}', new LosslessNumber('1e400')],
    ['a safe integer as a number', '{"id":12345}', 12345],
    ['a decimal as a number', '{"id":29.35}', 29.35],
    ['an exponent that a number holds, as the number', '{"id":1E5}', 100000],
    ['a long decimal that a number holds, as the number', '{"id":0.30000000000000004}', 0.30000000000000004],
    ['a string as it is, lone surrogate included', '{"id":"a\\ud800"}', 'a\ud800'],
  ])('reads %s', (_what, text, id) => {
    expect((json(text) as { id: unknown }).id).toEqual(id);
  });

  it('gives the same values by either parse (JSON.parse when no number needs keeping as text)', () => {
    const plain = '{"a":[1,2.5,-3,0],"b":{"c":"x","d":null,"e":true}}';
    // the second holds a long number elsewhere, so it takes lossless-json
    const lossless = '{"a":[1,2.5,-3,0],"b":{"c":"x","d":null,"e":true},"z":12345678901234567890}';
    expect(json(plain)).toEqual(JSON.parse(plain));
    const { z, ...rest } = json(lossless) as Record<string, unknown>;
    expect(rest).toEqual(JSON.parse(plain));
    expect(z).toEqual(new LosslessNumber('12345678901234567890'));
  });

  it.each([
    ['objects', `${'{"a":'.repeat(MAX_DEPTH + 1)}1${'}'.repeat(MAX_DEPTH + 1)}`],
    ['arrays', `${'['.repeat(MAX_DEPTH + 1)}${']'.repeat(MAX_DEPTH + 1)}`],
    ['arrays 100,000 deep (refused before parsing: no stack to run out of)', `${'['.repeat(100_000)}${']'.repeat(100_000)}`],
  ])('refuses %s nested deeper than the limit', (_what, text) => {
    expect(refusal(() => json(text)).errors).toEqual([{ field: 'body', message: `body nests deeper than ${MAX_DEPTH} levels` }]);
  });

  it.each([
    ['__proto__', '{"__proto__":{"polluted":true},"kept":1,"n":1e400}'],
    ['\\u005f_proto__', '{"\\u005f_proto__":{"polluted":true},"kept":1}'],
  ])('drops a %s key on either parse', (_key, text) => {
    const value = json(text) as Record<string, unknown>;
    expect(Object.getOwnPropertyNames(value)).toContain('kept');
    expect(Object.getOwnPropertyNames(value)).not.toContain('__proto__');
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
  });

  it.each([
    ['not UTF-8', Buffer.from([0x7b, 0xff, 0x7d]), /^body is not valid UTF-8$/],
    ['not JSON', Buffer.from('{"a":'), /^body is not valid JSON \(/],
  ])('refuses a body that is %s', (_what, bytes, message) => {
    expect(refusal(() => readJson(bytes)).errors).toEqual([{ field: 'body', message: expect.stringMatching(message) }]);
  });
});

describe('shapeOfJsonText', () => {
  it.each<[string, number, number]>([
    ['[[1]]', 2, 0],
    ['[[[1]]]', 3, 0],
    ['{"a":"[[[[[[","b":{}}', 2, 2],
    ['{"a":"[[[[[["}', 1, 1],
    ['{"a":"\\"[[[[:"}', 1, 1],
    ['{"a":"\\\\","b":[1]}', 2, 2],
    ['{"a":{"b":1,"b":2},"c:d":[":"]}', 2, 4],
  ])('%s nests %i deep and names %i members', (text, depth, members) => {
    expect(shapeOfJsonText(text)).toEqual({ depth, members });
  });
});

describe('idOf', () => {
  it.each<[string, unknown, string | undefined]>([
    ['a string id', 'pi_1', 'pi_1'],
    ['a string id, trimmed', '  o-1 ', 'o-1'],
    ['digits in a string', '0042', '0042'],
    ['numeric text 1e400 in a string', '1e400', undefined],
    ['numeric text 1.5 in a string', '1.5', undefined],
    ['numeric text -1 in a string', '-1', undefined],
    ['numeric text +7 in a string', '+7', undefined],
    ['digits and letters', 'ORD-1e400', 'ORD-1e400'],
    ['an integer', 12345, '12345'],
    ['0', 0, '0'],
    ['a 64-bit integer kept as text', new LosslessNumber('18446744073709551615'), '18446744073709551615'],
    ['an integer written 1e400', new LosslessNumber('1e400'), undefined],
    ['a decimal kept as text', new LosslessNumber('1.00000000000000001'), undefined],
    ['a negative integer', -1, undefined],
    ['a fraction', 1.5, undefined],
    ['an unsafe number', 2 ** 53, undefined],
    ['an empty string', '', undefined],
    ['blanks', '   ', undefined],
    ['129 characters', 'o'.repeat(129), undefined],
    ['a NUL', 'o\u0000', undefined],
    ['a control character', 'o\u0007', undefined],
    ['a lone surrogate', '\ud800', undefined],
    ['a boolean', true, undefined],
    ['an object', { id: 1 }, undefined],
  ])('%s', (_what, value, id) => {
    expect(idOf(value)).toBe(id);
  });

  it('takes a longer limit for event ids', () => {
    expect(idOf('e'.repeat(200), 200)).toBe('e'.repeat(200));
    expect(idOf('e'.repeat(201), 200)).toBeUndefined();
  });
});

describe('cleanText: text that only informs, cleaned rather than refused', () => {
  it.each<[string, unknown, number, string | undefined]>([
    ['as it is', 'Ada Lovelace', 200, 'Ada Lovelace'],
    ['trimmed', '  Ada ', 200, 'Ada'],
    ['control characters as one space', 'card\u0000\u0007declined', 200, 'card declined'],
    ['a lone surrogate as U+FFFD', 'A\ud800B', 200, 'A\ufffdB'],
    ['a pair kept', 'A\ud83d\ude00', 200, 'A\ud83d\ude00'],
    ['cut to its length', 'abcdef', 3, 'abc'],
    ['a pair cut in half as U+FFFD', 'ab\ud83d\ude00', 3, 'ab\ufffd'],
    ['blank as undefined', ' \u0000 ', 200, undefined],
    ['a number as undefined', 5, 200, undefined],
  ])('%s', (_what, value, max, text) => {
    expect(cleanText(value, max)).toBe(text);
  });
});

describe('emailOf', () => {
  it.each<[string, unknown, string | null | undefined]>([
    ['an address', 'ada@example.com', 'ada@example.com'],
    ['trimmed', ' ada@example.com ', 'ada@example.com'],
    ['absent', undefined, null],
    ['null', null, null],
    ['blank', '  ', null],
    ['no @', 'not-an-email', undefined],
    ['a space inside', 'ada @example.com', undefined],
    ['a control character', 'ada\u0001@example.com', undefined],
    ['a NUL', 'ada\u0000@example.com', undefined],
    ['a lone surrogate', 'ada\ud800@example.com', undefined],
    ['255 characters', `${'a'.repeat(243)}@example.com`, undefined],
    ['a number', 5, undefined],
  ])('%s', (_what, value, email) => {
    expect(emailOf(value)).toBe(email);
  });
});

describe('currencyOf', () => {
  it.each<[unknown, string | undefined]>([
    ['usd', 'USD'],
    ['EUR', 'EUR'],
    ['US', undefined],
    ['DOLLARS', undefined],
    ['U$D', undefined],
    [840, undefined],
  ])('%j -> %j', (value, currency) => {
    expect(currencyOf(value)).toBe(currency);
  });
});

describe('amounts', () => {
  it.each<[unknown, number | undefined]>([
    ['29.35', 29.35],
    [' 199.00 ', 199],
    ['0', 0],
    [12.5, 12.5],
    ['1000000000000', 1e12],
    ['1000000000000.01', undefined],
    ['9999999999999', undefined],
    ['-1', undefined],
    ['1.00001', undefined],
    ['1e3', undefined],
    ['abc', undefined],
    [new LosslessNumber('1e400'), undefined],
    [null, undefined],
  ])('decimalAmountOf(%j) is %j', (value, amount) => {
    expect(decimalAmountOf(value)).toBe(amount);
  });

  it.each<[unknown, string | undefined]>([
    [10, undefined],
    [0, undefined],
    [999_999_999_999.9999, undefined],
    [-0.01, 'must not be negative'],
    [1e12 + 1, 'must be at most 1000000000000'],
    [new LosslessNumber('1e400'), 'must be at most 1000000000000'],
    [1.00001, 'must be a number with at most 4 decimals'],
    ['10', 'must be a number with at most 4 decimals'],
  ])('amountProblem(%j) is %j', (value, problem) => {
    expect(amountProblem(value)).toBe(problem);
  });
});

describe('lines and counts', () => {
  it('bounds every sum of a delivery\'s units within a PostgreSQL integer', () => {
    expect(MAX_LINES * MAX_QUANTITY).toBeLessThan(2 ** 31);
  });

  it.each<[string, unknown, number | undefined, string[]]>([
    ['absent', undefined, 0, []],
    ['null', null, 0, []],
    ['500 lines', Array.from({ length: 500 }, () => ({})), 500, []],
    ['501 lines, none read', Array.from({ length: 501 }, () => ({})), undefined, ['items must hold at most 500 lines']],
    ['an object', {}, undefined, ['items must be an array']],
  ])('linesAt: %s', (_what, value, length, messages) => {
    const problems: FieldProblem[] = [];
    expect(linesAt(value, 'data.items', problems, 'items')?.length).toBe(length);
    expect(problems.map((p) => p.message)).toEqual(messages);
    expect(problems.every((p) => p.field === 'data.items')).toBe(true);
  });
});

describe('invalid', () => {
  const problems = (n: number) => Array.from({ length: n }, (_, i) => ({ field: `line_items[${i}]`, message: 'bad' }));

  it('names every problem up to the limit', () => {
    const error = invalid(problems(MAX_PROBLEMS));
    expect(error.status).toBe(400);
    expect(error.errors).toHaveLength(MAX_PROBLEMS);
  });

  it('reports the first problems and how many more, however many there are', () => {
    const error = invalid(problems(80_000));
    expect(error.errors).toHaveLength(MAX_PROBLEMS + 1);
    expect(error.errors!.slice(0, MAX_PROBLEMS)).toEqual(problems(MAX_PROBLEMS));
    expect(error.errors![MAX_PROBLEMS]).toEqual({ field: 'body', message: `and ${80_000 - MAX_PROBLEMS} more problems` });
    expect(error.message.length).toBeLessThan(1000);
  });

  it('takes one field and its message', () => {
    expect(invalid('body', 'body must be a JSON object').errors).toEqual([{ field: 'body', message: 'body must be a JSON object' }]);
  });
});

describe('isObject', () => {
  it.each<[unknown, boolean]>([
    [{}, true],
    [[], false],
    [null, false],
    ['x', false],
    [new LosslessNumber('1e400'), false],
  ])('%j: %s', (value, object) => {
    expect(isObject(value)).toBe(object);
  });
});
