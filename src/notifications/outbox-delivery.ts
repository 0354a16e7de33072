import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { whsecKey } from '../common/whsec-secret.js';
import { checkEndpointUrl, pinnedLookup } from './url-guard.js';

/** The most of a response body read (and kept in last_error for a non-2xx); the rest is not read. */
export const RESPONSE_BODY_LIMIT = 4096;

/** Standard Webhooks: `v1,<base64 HMAC-SHA256 of id.timestamp.body>` under each secret, space separated. */
export function signatureHeader(messageId: string, timestamp: number, body: string, secrets: string[]): string {
  return secrets
    .map((secret) => `v1,${createHmac('sha256', whsecKey(secret)).update(`${messageId}.${timestamp}.${body}`).digest('base64')}`)
    .join(' ');
}

export type AttemptResult =
  | { kind: 'answered'; statusCode: number; retryAfter: string | undefined; body: string }
  /** no answer: refused by the URL guard, a connection error, or the timeout */
  | { kind: 'error'; error: string };

export interface Attempt {
  url: string;
  messageId: string;
  body: string;
  secrets: string[];
  timeoutMs: number;
  allowPrivateNetworks: boolean;
}

/**
 * One attempt of one message: the URL checked again (an address that became
 * private is refused now, and the connection goes to the address checked),
 * POSTed once, never following a redirect, within `timeoutMs` for all of it.
 */
export async function attemptDelivery(attempt: Attempt): Promise<AttemptResult> {
  const deadline = Date.now() + attempt.timeoutMs;
  const check = await checkEndpointUrl(attempt.url, attempt.allowPrivateNetworks);
  if (!check.ok) return { kind: 'error', error: `refused: ${check.reason}` };
  const timestamp = Math.floor(Date.now() / 1000);
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'shelfsync-notifications',
    'webhook-id': attempt.messageId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signatureHeader(attempt.messageId, timestamp, attempt.body, attempt.secrets),
    'content-length': String(Buffer.byteLength(attempt.body)),
  };
  const request = check.url.protocol === 'https:' ? https.request : http.request;
  return new Promise<AttemptResult>((resolve) => {
    let settled = false;
    const finish = (result: AttemptResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(result);
    };
    const req = request(check.url, { method: 'POST', headers, lookup: pinnedLookup(check.address, check.family), agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let length = 0;
      const done = () =>
        finish({
          kind: 'answered',
          statusCode: res.statusCode ?? 0,
          retryAfter: typeof res.headers['retry-after'] === 'string' ? res.headers['retry-after'] : undefined,
          body: Buffer.concat(chunks).subarray(0, RESPONSE_BODY_LIMIT).toString('utf8'),
        });
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        length += chunk.length;
        if (length >= RESPONSE_BODY_LIMIT) done();
      });
      res.on('end', done);
      res.on('error', done);
    });
    const timer = setTimeout(() => finish({ kind: 'error', error: `timed out after ${attempt.timeoutMs} ms` }), Math.max(0, deadline - Date.now()));
    req.on('error', (error: NodeJS.ErrnoException) => finish({ kind: 'error', error: `${error.code ?? 'error'}: ${error.message}` }));
    req.end(attempt.body);
  });
}

/** A retry-after header as milliseconds from now (seconds or an HTTP date); undefined when absent or unreadable. */
export function retryAfterMs(header: string | undefined, now = Date.now()): number | undefined {
  if (header === undefined) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // an HTTP date (IMF-fixdate, RFC 9110 5.6.7), never whatever else Date.parse would take
  if (!/^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export type Outcome =
  | { kind: 'delivered' }
  | { kind: 'gone' }
  | { kind: 'retry'; delayMs: number }
  | { kind: 'failed' };

/**
 * What an attempt comes to: 2xx delivered; 410 the endpoint gone; else the
 * next attempt after the schedule's step for this attempt (±10 % jitter), or
 * after retry-after of a 429 or 503 (at most the schedule's largest step);
 * after the schedule's last step, failed.
 */
export function outcomeOf(result: AttemptResult, attempts: number, schedule: number[], random = Math.random): Outcome {
  if (result.kind === 'answered' && result.statusCode >= 200 && result.statusCode < 300) return { kind: 'delivered' };
  if (result.kind === 'answered' && result.statusCode === 410) return { kind: 'gone' };
  const step = schedule[attempts - 1];
  if (step === undefined) return { kind: 'failed' };
  if (result.kind === 'answered' && (result.statusCode === 429 || result.statusCode === 503)) {
    const after = retryAfterMs(result.retryAfter);
    if (after !== undefined) return { kind: 'retry', delayMs: Math.min(after, Math.max(...schedule)) };
  }
  return { kind: 'retry', delayMs: Math.round(step * (0.9 + 0.2 * random())) };
}
