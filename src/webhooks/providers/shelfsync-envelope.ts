import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { FieldProblem } from '../../common/app-error.js';
import { headerValue } from '../signature/signature-scheme.js';
import { idOf, idRule, invalid, isEventType, isObject, MAX_EVENT_ID_LENGTH, readJson } from './input-rules.js';

export interface WebhookEnvelope {
  /**
   * The dedupe key: the `webhook-id` header (or Svix's `svix-id`), else the
   * body's `id`, else `sha256:<digest of the raw body>`.
   */
  eventId: string;
  type: string;
  data: unknown;
}

const EVENT_ID_RULE = idRule(MAX_EVENT_ID_LENGTH);

function checkId(value: unknown, field: string, problems: FieldProblem[]): string | undefined {
  if (value === undefined || value === null) return undefined;
  const id = idOf(value, MAX_EVENT_ID_LENGTH);
  if (id === undefined) problems.push({ field, message: `${field} must be ${EVENT_ID_RULE}` });
  return id;
}

/** Parses and checks the envelope `{ id?, event | type, data }`; throws a 400 naming every bad field. */
export function parseEnvelope(rawBody: Buffer, headers: IncomingHttpHeaders): WebhookEnvelope {
  const body = readJson(rawBody);
  if (!isObject(body)) throw invalid('body', 'body must be a JSON object');

  const problems: FieldProblem[] = [];
  const typeField = body.event !== undefined ? 'event' : 'type';
  const type = body[typeField];
  if (type === undefined) problems.push({ field: 'event', message: 'event (or type) is required' });
  else if (!isEventType(type))
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
