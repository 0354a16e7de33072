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
  let value: unknown;
  try {
    value = parse(text, (key, v) => (key === '__proto__' ? undefined : v), (digits) => (isSafeNumber(digits) ? Number(digits) : digits));
  } catch (error) {
    throw invalid(`body is not valid JSON (${(error as Error).message})`);
  }
  if (depthOf(value) > MAX_DEPTH) throw invalid(`body nests deeper than ${MAX_DEPTH} levels`);
  return value;
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
