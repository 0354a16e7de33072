import { isSafeNumber, LosslessNumber, parse } from 'lossless-json';
import { AppError, type FieldProblem } from '../../common/app-error.js';
import { isPlainText, MAX_ID_LENGTH, MAX_SKU_LENGTH } from '../../common/validators.js';

/**
 * The input rules of every gateway's body, the contract's envelope and the
 * native providers alike: how the bytes are read, what an id, a text, an
 * email, a currency, an amount and a line are, and the one 400 that names
 * what is wrong. A value that reaches PostgreSQL passes one of these first,
 * so a delivery that passes them cannot fail there for what it holds: every
 * text is stored exactly (no NUL, no lone surrogate) and every count and sum
 * fits its column (MAX_LINES * MAX_QUANTITY < 2^31).
 *
 * Two kinds of text: what identifies or is matched (ids, SKUs, emails, event
 * types) is refused when it cannot be stored as given; what only informs, in
 * a gateway's body (a customer's name, a cancel or failure reason), is
 * cleaned (cleanText), since refusing a real order for a stray tab in a name
 * would lose it. The envelope, whose senders are ours, refuses both.
 */

/** Deeper JSON than any gateway sends; refused before it is parsed, so no recursive step can run out of stack. */
export const MAX_DEPTH = 32;
/** An order's limits, whichever gateway it comes from: more than any real order has, refused before the domain sees them. */
export const MAX_AMOUNT = 1e12;
export const MAX_LINES = 500;
export const MAX_QUANTITY = 1_000_000;
export const MAX_EVENT_ID_LENGTH = 200;
const MAX_EMAIL_LENGTH = 254;
/** The problems a 400 lists; past these, one entry says how many more there were. */
export const MAX_PROBLEMS = 20;

/** What an id is, for messages. */
export const idRule = (max = MAX_ID_LENGTH) =>
  `an integer written in digits, or a string of 1 to ${max} characters without control characters (numeric text only as digits: not 1e400 or 1.5)`;
export const ID_RULE = idRule();
export const EMAIL_RULE = `an email address (name@domain, at most ${MAX_EMAIL_LENGTH} characters, without spaces or control characters)`;
export const QUANTITY_RULE = `an integer from 1 to ${MAX_QUANTITY}`;
export const CURRENCY_RULE = 'a 3-letter code';

/**
 * The 400 for a body that breaks the rules, naming each problem (at most
 * MAX_PROBLEMS of them, then how many more: a body of 80,000 bad lines is
 * answered in a few lines, not megabytes). A field is named once, with its
 * first problem: two readers of one body (an order's creation and its
 * snapshot) may both find it.
 */
export function invalid(problems: FieldProblem[]): AppError;
export function invalid(field: string, message: string): AppError;
export function invalid(problemsOrField: FieldProblem[] | string, message?: string): AppError {
  const all = typeof problemsOrField === 'string' ? [{ field: problemsOrField, message: message! }] : problemsOrField;
  const named = new Set<string>();
  const problems = all.filter(({ field }) => !named.has(field) && named.add(field));
  if (problems.length <= MAX_PROBLEMS) return AppError.invalid(problems, 'invalid webhook payload');
  const more = problems.length - MAX_PROBLEMS;
  const shown = [...problems.slice(0, MAX_PROBLEMS), { field: 'body', message: `and ${more} more problem${more === 1 ? '' : 's'}` }];
  return AppError.invalid(shown, 'invalid webhook payload');
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
/**
 * A number JSON.parse would not keep exactly: 16 or more digits, or an
 * exponent. (Also found inside strings, where it only costs the slower parse.)
 */
const LONG_OR_EXPONENT_NUMBER = /[:,[]\s*-?(?:[\d.]{16,}|[\d.]+[eE])/;

/**
 * A body's JSON as values. Every number that a JavaScript number cannot hold
 * exactly (a 64-bit Shopify or WooCommerce id, 1e400) is kept as the text the
 * sender wrote, in a LosslessNumber, which only idOf accepts, and only when it
 * is digits: no other rule mistakes it for a number or a string. Keys named
 * `__proto__`, however spelt, are dropped, so no payload reaches a prototype.
 * Bodies without such numbers, keys or duplicate keys (nearly all) take
 * JSON.parse, which gives the same values faster and with a fraction of
 * lossless-json's garbage (most of what a large delivery cost in memory).
 */
export function readJson(rawBody: Buffer): unknown {
  let text: string;
  try {
    text = utf8.decode(rawBody);
  } catch {
    throw invalid('body', 'body is not valid UTF-8');
  }
  const shape = shapeOfJsonText(text);
  if (shape.depth > MAX_DEPTH) throw invalid('body', `body nests deeper than ${MAX_DEPTH} levels`);
  try {
    if (!text.includes('__proto__') && !text.includes('\\u') && !LONG_OR_EXPONENT_NUMBER.test(text)) {
      const value = JSON.parse(text) as unknown;
      // A duplicate key (JSON.parse keeps the last; lossless-json refuses it) shows as fewer members than the text names.
      if (membersOf(value) === shape.members) return value;
    }
    return parse(
      text,
      (key, value) => (key === '__proto__' ? undefined : value),
      (digits) => (isSafeNumber(digits) ? Number(digits) : new LosslessNumber(digits)),
    );
  } catch (error) {
    throw invalid('body', `body is not valid JSON (${(error as Error).message})`);
  }
}

/** How many members the objects of a parsed value have. */
function membersOf(root: unknown): number {
  let members = 0;
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value !== 'object' || value === null) continue;
    if (Array.isArray(value)) {
      for (const child of value) stack.push(child);
      continue;
    }
    // no copy of each object's values: this runs over every delivery's body
    for (const key in value) {
      members++;
      stack.push((value as Record<string, unknown>)[key]);
    }
  }
  return members;
}

/**
 * What a JSON text's brackets and colons say, outside its strings: how deep
 * its arrays and objects nest, and how many members its objects name.
 */
export function shapeOfJsonText(text: string): { depth: number; members: number } {
  let depth = 0;
  let deepest = 0;
  let members = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      // skip the string: to the next quote not escaped
      for (i++; i < text.length; i++) {
        const s = text.charCodeAt(i);
        if (s === 0x5c /* \ */) i++;
        else if (s === 0x22) break;
      }
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) deepest = Math.max(deepest, ++depth);
    else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
    else if (c === 0x3a /* : */) members++;
  }
  return { depth: deepest, members };
}

/** A JSON object (not an array, not null, not a number kept as text). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof LosslessNumber);
}

/** Absent: JSON gives no value, or null. */
export const absent = (value: unknown): value is undefined | null => value === undefined || value === null;

const NUMERIC_TEXT = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const DIGITS = /^\d+$/;

/**
 * An id as the sender wrote it (ID_RULE): an integer in digits, kept digit
 * for digit however large (never 1e400, 1.5 or -1), or a string of 1 to
 * `max` characters without control characters or lone surrogates, trimmed,
 * that is not a number in another form ("1e400", "1.5", "-1").
 * Undefined when it is neither.
 */
export function idOf(value: unknown, max = MAX_ID_LENGTH): string | undefined {
  if (typeof value === 'string') {
    const id = value.trim();
    // A number written as text is the number: only a plain integer in digits names an order.
    if (NUMERIC_TEXT.test(id) && !DIGITS.test(id)) return undefined;
    return isPlainText(id, 1, max) ? id : undefined;
  }
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? String(value) : undefined;
  if (value instanceof LosslessNumber) return /^\d+$/.test(value.value) && value.value.length <= max ? value.value : undefined;
  return undefined;
}

/** Text that only informs, from a gateway: trimmed, control characters as spaces, lone surrogates as U+FFFD, at most `max` characters; undefined when empty. */
export function cleanText(value: unknown, max: number): string | undefined {
  if (typeof value !== 'string') return undefined;
  // eslint-disable-next-line no-control-regex
  const cleaned = value.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return cleaned ? cleaned.slice(0, max).toWellFormed().trim() || undefined : undefined;
}

const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+$/;

/** An email (EMAIL_RULE), trimmed: null when absent (missing, null or blank), undefined when it is not one. */
export function emailOf(value: unknown): string | null | undefined {
  if (absent(value)) return null;
  if (typeof value !== 'string') return undefined;
  const email = value.trim();
  if (email === '') return null;
  return isPlainText(email, 3, MAX_EMAIL_LENGTH) && EMAIL_SHAPE.test(email) ? email : undefined;
}

const CURRENCY = /^[A-Za-z]{3}$/;

/** A currency code (three letters, any case) in capitals; undefined when it is not one. */
export function currencyOf(value: unknown): string | undefined {
  return typeof value === 'string' && CURRENCY.test(value) ? value.toUpperCase() : undefined;
}

const EVENT_TYPE = /^[A-Za-z0-9_.:-]{1,100}$/;

/** An event type or topic as gateways name them: 1 to 100 letters, digits and `_.:-`. */
export function isEventType(value: unknown): value is string {
  return typeof value === 'string' && EVENT_TYPE.test(value);
}

/** A SKU as the envelope requires it: 1 to 100 characters without control characters. */
export function isSku(value: unknown): value is string {
  return isPlainText(value, 1, MAX_SKU_LENGTH);
}

/** A line's quantity (QUANTITY_RULE). */
export function isQuantity(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_QUANTITY;
}

/** A finite number with at most `places` decimals (class-validator's own check throws on 1e-7). */
function hasAtMostDecimals(value: unknown, places: number): value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return false;
  const scaled = value * 10 ** places;
  return Math.abs(scaled - Math.round(scaled)) < 1e-6 * Math.max(1, Math.abs(scaled));
}

/** What is wrong with an amount given as a JSON number (at most 4 decimals, 0 to MAX_AMOUNT), or undefined when nothing is. */
export function amountProblem(value: unknown): string | undefined {
  if (value instanceof LosslessNumber) return `must be at most ${MAX_AMOUNT}`;
  if (!hasAtMostDecimals(value, 4)) return 'must be a number with at most 4 decimals';
  if (value < 0) return 'must not be negative';
  if (value > MAX_AMOUNT) return `must be at most ${MAX_AMOUNT}`;
  return undefined;
}

const DECIMAL_AMOUNT = /^\d{1,13}(\.\d{1,4})?$/;

/**
 * An amount as gateways write it, a decimal string ("199.00") or a number,
 * with at most 4 decimals, from 0 to MAX_AMOUNT; undefined when it is not one.
 */
export function decimalAmountOf(value: unknown): number | undefined {
  const text = typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : undefined;
  if (text === undefined || !DECIMAL_AMOUNT.test(text)) return undefined;
  const amount = Number(text);
  return amount <= MAX_AMOUNT ? amount : undefined;
}

/**
 * A body's list of lines (`name`, at the path `field`): [] when absent;
 * undefined, with the problem added, when it is not an array or holds more
 * than MAX_LINES (then none of them is read).
 */
export function linesAt(value: unknown, field: string, problems: FieldProblem[], name = field): unknown[] | undefined {
  if (absent(value)) return [];
  if (!Array.isArray(value)) {
    problems.push({ field, message: `${name} must be an array` });
    return undefined;
  }
  if (value.length > MAX_LINES) {
    problems.push({ field, message: `${name} must hold at most ${MAX_LINES} lines` });
    return undefined;
  }
  return value as unknown[];
}
