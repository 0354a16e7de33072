import { isSafeNumber, parse } from 'lossless-json';
import { AppError } from '../../common/app-error.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** Deeper JSON than any gateway sends; refused before it can exhaust a recursive step. */
const MAX_DEPTH = 64;

function invalid(message: string): AppError {
  return AppError.invalid([{ field: 'body', message }], 'invalid webhook payload');
}

/**
 * A gateway's JSON body as values, with every number that a JavaScript
 * number cannot hold exactly (a 64-bit Shopify or WooCommerce id) kept as
 * the digits the gateway wrote, in a string. Numbers that fit are numbers.
 * Keys named `__proto__` are dropped, so no payload reaches a prototype.
 * (lossless-json: JSON.parse rounds 9007199254740993 to ...992, and Node
 * 20's reviver cannot see the source text.)
 */
export function parseNativeJson(rawBody: Buffer): unknown {
  let text: string;
  try {
    text = utf8.decode(rawBody);
  } catch {
    throw invalid('body is not valid UTF-8');
  }
  let value: unknown = fastRead(text);
  try {
    if (value === NOT_READ) value = parse(text, (key, v) => (key === '__proto__' ? undefined : v), (digits) => (isSafeNumber(digits) ? Number(digits) : digits));
  } catch (error) {
    throw invalid(`body is not valid JSON (${(error as Error).message})`);
  }
  if (depthOf(value) > MAX_DEPTH) throw invalid(`body nests deeper than ${MAX_DEPTH} levels`);
  return value;
}

/**
 * Text in which JSON.parse reads every number as lossless-json does: no run
 * of 16 digits (or digits and points), and nothing that could be a number with
 * an exponent (digits after a character other than a letter or digit).
 */
const MAY_LOSE_DIGITS = /[\d.]{16}|[^\w.][\d.]*\d[eE][+-]?\d/;
const NOT_READ = Symbol('not read');

/**
 * The text read by JSON.parse (native: many times faster than lossless-json,
 * with a fraction of its garbage) when that reads it exactly as lossless-json
 * would: numbers as above, no `__proto__` key, however spelled, and no
 * duplicate key (lossless-json refuses those; JSON.parse keeps the last), seen
 * as fewer members read than the text has. NOT_READ otherwise, or when
 * JSON.parse refuses it (lossless-json then says why).
 */
function fastRead(text: string): unknown {
  if (MAY_LOSE_DIGITS.test(text) || text.includes('__proto__') || text.includes('\\u')) return NOT_READ;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return NOT_READ;
  }
  return membersOf(value) === membersIn(text) ? value : NOT_READ;
}

/** How many members the objects of a JSON text name: its colons outside strings. */
function membersIn(text: string): number {
  let members = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x3a) members++;
  }
  return members;
}

/** How many members the objects of a parsed value have. */
function membersOf(root: unknown): number {
  let members = 0;
  const stack: unknown[] = [root];
  while (stack.length) {
    const value = stack.pop();
    if (typeof value !== 'object' || value === null) continue;
    const children = Object.values(value);
    if (!Array.isArray(value)) members += children.length;
    for (const child of children) stack.push(child);
  }
  return members;
}

/** Nesting depth of a parsed JSON value, measured without recursion. */
export function depthOf(root: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length) {
    const [value, depth] = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    deepest = Math.max(deepest, depth);
    if (deepest > MAX_DEPTH) return deepest;
    for (const child of Object.values(value)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/**
 * An id as the gateway wrote it: a string, or an integer (kept digit for
 * digit by parseNativeJson). Anything else is undefined.
 */
export function idText(value: unknown): string | undefined {
  if (typeof value === 'string' && value.trim() !== '' && value.length <= 128) return value.trim();
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  return undefined;
}
