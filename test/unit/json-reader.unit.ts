import { describe, expect, it } from '@jest/globals';
import { isSafeNumber, LosslessNumber, parse } from 'lossless-json';
import { readJson } from '../../src/webhooks/providers/input-rules.js';

/** What lossless-json alone makes of a text: the reading readJson keeps, whichever parser reads it. */
function lossless(text: string): unknown {
  try {
    return parse(text, (key, v) => (key === '__proto__' ? undefined : v), (d) => (isSafeNumber(d) ? Number(d) : new LosslessNumber(d)));
  } catch {
    return 'refused';
  }
}

function native(text: string): unknown {
  try {
    return readJson(Buffer.from(text));
  } catch {
    return 'refused';
  }
}

describe('readJson reads every body as lossless-json does (with JSON.parse where that reads it the same)', () => {
  it.each([
    ['small integers and decimals', '{"id":450789469,"price":"199.00","total":4.35,"qty":-2,"z":-0,"f":0.000001}'],
    ['a 64-bit id', '{"id":820982911946154508,"line":{"id":466157049}}'],
    ['a number of 16 significant digits', '{"amount":1234567890123.456}'],
    ['exponents, one past what a number holds', '{"a":1e5,"b":[1.5E-3],"c": -2e10,"big":1e400}'],
    ['hex text that looks like an exponent', '{"token":"b1946ac92492d2347c6235b4d2611184","x":"ab4e4"}'],
    ['__proto__ keys', '{"__proto__":{"admin":true},"a":{"__proto__":1,"b":2}}'],
    ['a unicode escape spelling __proto__', '{"\\u005f_proto__":{"admin":true},"name":"caf\\u00e9"}'],
    ['duplicate keys with different values', '{"a":1,"a":2}'],
    ['duplicate keys in a nested object', '{"o":{"id":"x","id":"y"},"n":1}'],
    ['colons, quotes and backslashes inside strings', '{"a":"x:y","b":"say \\"hi\\": \\\\","c":{"d:e":[":"]}}'],
    ['an array at the top', '[1,"two",{"three":3}]'],
    ['truncated', '{"a":'],
    ['a raw control character in a string', '{"a":"x\u0001y"}'],
  ])('%s', (_case, text) => {
    expect(native(text)).toEqual(lossless(text));
  });

  it('says what is wrong with invalid JSON', () => {
    expect(() => readJson(Buffer.from('{"a":'))).toThrow(/body is not valid JSON \(/);
    expect(() => readJson(Buffer.from('{"a":1,"a":2}'))).toThrow(/body is not valid JSON \(Duplicate key/);
  });
});
