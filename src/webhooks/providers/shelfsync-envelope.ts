import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { AppError, type FieldProblem } from '../../common/app-error.js';
import { isObject, isPlainText } from '../../common/validators.js';
import { headerValue } from '../signature/signature-scheme.js';
import { depthOf } from './native-json.js';

export interface WebhookEnvelope {
  /**
   * The dedupe key: the `webhook-id` header (or Svix's `svix-id`), else the
   * body's `id`, else `sha256:<digest of the raw body>`.
   */
  eventId: string;
  type: string;
  data: unknown;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** Deeper JSON than any gateway sends; refused before it can exhaust a recursive step. */
const MAX_DEPTH = 32;
const EVENT_TYPE = /^[A-Za-z0-9_.:-]{1,100}$/;

function invalid(errors: FieldProblem[]): AppError {
  return AppError.invalid(errors, 'invalid webhook payload');
}

/** JSON text to a value, dropping `__proto__` keys so no payload can reach an object's prototype. */
function parseJson(rawBody: Buffer): unknown {
  let text: string;
  try {
    text = utf8.decode(rawBody);
  } catch {
    throw invalid([{ field: 'body', message: 'body is not valid UTF-8' }]);
  }
  try {
    // A reviver makes JSON.parse several times slower, so it runs only when the text could name
    // `__proto__`: literally, or spelt with \u escapes.
    if (!text.includes('__proto__') && !text.includes('\\u')) return JSON.parse(text) as unknown;
    return JSON.parse(text, (key, value: unknown) => (key === '__proto__' ? undefined : value));
  } catch (error) {
    throw invalid([{ field: 'body', message: `body is not valid JSON (${(error as Error).message})` }]);
  }
}

function checkId(value: unknown, field: string, problems: FieldProblem[]): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (isPlainText(value, 1, 200)) return value;
  problems.push({ field, message: `${field} must be a non-empty string of at most 200 characters, or an integer` });
  return undefined;
}

/** Parses and checks the envelope `{ id?, event | type, data }`; throws a 400 naming every bad field. */
export function parseEnvelope(rawBody: Buffer, headers: IncomingHttpHeaders): WebhookEnvelope {
  const body = parseJson(rawBody);
  if (!isObject(body)) throw invalid([{ field: 'body', message: 'body must be a JSON object' }]);
  if (depthOf(body) > MAX_DEPTH) {
    throw invalid([{ field: 'body', message: `body nests deeper than ${MAX_DEPTH} levels` }]);
  }

  const problems: FieldProblem[] = [];
  const typeField = body.event !== undefined ? 'event' : 'type';
  const type = body[typeField];
  if (type === undefined) problems.push({ field: 'event', message: 'event (or type) is required' });
  else if (typeof type !== 'string' || !EVENT_TYPE.test(type))
    problems.push({ field: typeField, message: `${typeField} must be an event name such as new_order` });

  const headerId = checkId(headerValue(headers, 'webhook-id') ?? headerValue(headers, 'svix-id'), 'webhook-id', problems);
  const bodyId = checkId(body.id, 'id', problems);
  if (body.data === undefined) problems.push({ field: 'data', message: 'data is required' });
  if (problems.length) throw invalid(problems);

  return {
    eventId: headerId ?? bodyId ?? `sha256:${createHash('sha256').update(rawBody).digest('hex')}`,
    type: type as string,
    data: body.data,
  };
}
