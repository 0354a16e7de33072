import { describe, expect, it } from '@jest/globals';
import { Webhook } from 'standardwebhooks';
import { type AttemptResult, outcomeOf, retryAfterMs, signatureHeader } from '../../src/notifications/outbox-delivery.js';

const SCHEDULE = [5_000, 300_000, 1_800_000];
const answered = (statusCode: number, retryAfter?: string): AttemptResult => ({ kind: 'answered', statusCode, retryAfter, body: '' });
const unanswered = (error: string): AttemptResult => ({ kind: 'error', error });
const middle = () => 0.5;

describe('what an attempt comes to', () => {
  it.each([
    ['a 200', answered(200), 1, { kind: 'delivered' }],
    ['a 204', answered(204), 3, { kind: 'delivered' }],
    ['a 410', answered(410), 1, { kind: 'gone' }],
    ['a 410 after the last step', answered(410), 4, { kind: 'gone' }],
    ['a 500, first attempt', answered(500), 1, { kind: 'retry', delayMs: 5_000 }],
    ['a 500, second attempt', answered(500), 2, { kind: 'retry', delayMs: 300_000 }],
    ['a 301 (redirects are not followed)', answered(301), 1, { kind: 'retry', delayMs: 5_000 }],
    ['a 503 without retry-after', answered(503), 1, { kind: 'retry', delayMs: 5_000 }],
    ['a 503 with retry-after 120', answered(503, '120'), 1, { kind: 'retry', delayMs: 120_000 }],
    ['a 429 with retry-after 120', answered(429, '120'), 1, { kind: 'retry', delayMs: 120_000 }],
    ['a 429 with retry-after beyond the largest step', answered(429, '999999'), 1, { kind: 'retry', delayMs: 1_800_000 }],
    ['a 400 with retry-after (not honoured)', answered(400, '120'), 1, { kind: 'retry', delayMs: 5_000 }],
    ['a 503 with an unreadable retry-after', answered(503, 'soon'), 1, { kind: 'retry', delayMs: 5_000 }],
    ['a timeout', unanswered('timed out'), 3, { kind: 'retry', delayMs: 1_800_000 }],
    ['a 500 after the last step', answered(500), 4, { kind: 'failed' }],
    ['a 503 with retry-after after the last step', answered(503, '1'), 4, { kind: 'failed' }],
    ['a refused connection after the last step', unanswered('ECONNREFUSED'), 4, { kind: 'failed' }],
  ])('%s', (_name, result, attempts, outcome) => {
    expect(outcomeOf(result, attempts, SCHEDULE, middle)).toEqual(outcome);
  });

  it('jitters the schedule by at most 10 % either way', () => {
    expect(outcomeOf(answered(500), 1, SCHEDULE, () => 0)).toEqual({ kind: 'retry', delayMs: 4_500 });
    expect(outcomeOf(answered(500), 1, SCHEDULE, () => 0.999999)).toEqual({ kind: 'retry', delayMs: 5_500 });
  });
});

describe('retry-after', () => {
  const now = Date.parse('2026-12-01T10:00:00Z');
  it.each([
    ['120', 120_000],
    [' 7 ', 7_000],
    ['0', 0],
    ['Tue, 01 Dec 2026 10:01:30 GMT', 90_000],
    ['Tue, 01 Dec 2026 09:00:00 GMT', 0],
    ['-5', undefined],
    ['1.5', undefined],
    ['soon', undefined],
    [undefined, undefined],
  ])('%s', (header, ms) => {
    expect(retryAfterMs(header, now)).toBe(ms);
  });
});

describe('signatures', () => {
  it('signs under every secret given, each verifying with the standardwebhooks library', () => {
    const a = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const b = 'whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYX';
    const timestamp = Math.floor(Date.now() / 1000);
    const header = signatureHeader('msg_1', timestamp, '{"type":"x"}', [a, b]);
    expect(header.split(' ')).toHaveLength(2);
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(timestamp), 'webhook-signature': header };
    for (const secret of [a, b]) expect(new Webhook(secret).verify('{"type":"x"}', headers)).toEqual({ type: 'x' });
    expect(() => new Webhook(a).verify('{"type":"y"}', headers)).toThrow();
  });
});
