import { describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Webhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { HmacSha256Scheme } from '../../src/webhooks/signature/hmac-sha256.scheme.js';
import { SCHEMES, SIGNATURE_SCHEMES } from '../../src/webhooks/signature/schemes.js';
import type { SignatureScheme, VerificationResult } from '../../src/webhooks/signature/signature-scheme.js';
import { StandardWebhooksScheme } from '../../src/webhooks/signature/standard-webhooks.scheme.js';
import { StripeScheme } from '../../src/webhooks/signature/stripe.scheme.js';

const NOW = 1_764_000_000;
const TOLERANCE = 300;
const clock = { nowSeconds: NOW, toleranceSeconds: TOLERANCE };
const BODY = Buffer.from('{"id":"evt_1","event":"new_order","data":{"order_id":1,"customer_name":"A","total_amount":1}}');
const TAMPERED = Buffer.from(BODY.toString().replace('"A"', '"B"'));
const MESSAGE_ID = 'msg_2Lq7b1hRj4nXw';

/** A verdict to expect: a refusal's reason given exactly, or as a pattern. */
type Verdict = VerificationResult | { ok: false; reason: unknown };
const OK: Verdict = { ok: true };
const refused = (reason: string | RegExp): Verdict => ({ ok: false, reason: typeof reason === 'string' ? reason : expect.stringMatching(reason) });
const MISMATCH = refused('signature does not match');

const hmacHex = (key: string | Buffer, content: string | Buffer) => createHmac('sha256', key).update(content).digest('hex');

/**
 * Each scheme beside an independent way to sign for it: the shell's openssl
 * recipe of README for plain HMAC, the Standard Webhooks SDK, Stripe's SDK.
 */
interface Reference {
  scheme: SignatureScheme;
  secret: string;
  otherSecret: string;
  timestamped: boolean;
  sign(body: Buffer, secret: string, atSeconds: number): Record<string, string>;
}

const REFERENCES: [string, Reference][] = [
  [
    'hmac-sha256',
    {
      scheme: new HmacSha256Scheme(),
      secret: 'the-shared-secret',
      otherSecret: 'another-secret',
      timestamped: false,
      sign: (body, secret) => ({ 'x-signature': hmacHex(secret, body) }),
    },
  ],
  [
    'standard-webhooks',
    {
      scheme: new StandardWebhooksScheme(),
      secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      otherSecret: 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD',
      timestamped: true,
      sign: (body, secret, at) => ({
        'webhook-id': MESSAGE_ID,
        'webhook-timestamp': String(at),
        'webhook-signature': new Webhook(secret).sign(MESSAGE_ID, new Date(at * 1000), body),
      }),
    },
  ],
  [
    'stripe',
    {
      scheme: new StripeScheme(),
      secret: 'whsec_stripe_endpoint_secret',
      otherSecret: 'whsec_stripe_rolled_secret',
      timestamped: true,
      sign: (body, secret, at) => ({
        'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload: body.toString(), secret, timestamp: at }),
      }),
    },
  ],
];

interface Case {
  body: Buffer;
  headers: Record<string, string>;
  secrets: string[];
}

/** Rows every scheme answers alike: [what, the delivery, the verdict]. */
const COMMON: [string, (r: Reference) => Case, Verdict][] = [
  ['verifies a delivery signed by the reference implementation', (r) => ({ body: BODY, headers: r.sign(BODY, r.secret, NOW), secrets: [r.secret] }), OK],
  ['refuses a tampered body', (r) => ({ body: TAMPERED, headers: r.sign(BODY, r.secret, NOW), secrets: [r.secret] }), MISMATCH],
  [
    'refuses a body with one byte more (a trailing newline)',
    (r) => ({ body: Buffer.concat([BODY, Buffer.from('\n')]), headers: r.sign(BODY, r.secret, NOW), secrets: [r.secret] }),
    MISMATCH,
  ],
  ['refuses a signature made with another secret', (r) => ({ body: BODY, headers: r.sign(BODY, r.otherSecret, NOW), secrets: [r.secret] }), MISMATCH],
  [
    'verifies with the second of two secrets (rotation: the new one added first)',
    (r) => ({ body: BODY, headers: r.sign(BODY, r.secret, NOW), secrets: [r.otherSecret, r.secret] }),
    OK,
  ],
  [
    'verifies with the first of two secrets (rotation: the old one still accepted)',
    (r) => ({ body: BODY, headers: r.sign(BODY, r.secret, NOW), secrets: [r.secret, r.otherSecret] }),
    OK,
  ],
  ['refuses when no configured secret made it', (r) => ({ body: BODY, headers: r.sign(BODY, 'whsec_' + 'c2VjcmV0LW5vLW9uZS1rbm93cw==', NOW), secrets: [r.secret, r.otherSecret] }), MISMATCH],
  ['refuses everything when no key is configured', (r) => ({ body: BODY, headers: r.sign(BODY, r.secret, NOW), secrets: [] }), MISMATCH],
];

/** Rows of the schemes that sign a timestamp. */
const TIMESTAMPED: [string, (r: Reference) => Case, Verdict][] = [
  [
    'refuses a stale timestamp (one second past the tolerance)',
    (r) => ({ body: BODY, headers: r.sign(BODY, r.secret, NOW - TOLERANCE - 1), secrets: [r.secret] }),
    refused(/is older than 300 s$/),
  ],
  ['accepts a timestamp exactly the tolerance old', (r) => ({ body: BODY, headers: r.sign(BODY, r.secret, NOW - TOLERANCE), secrets: [r.secret] }), OK],
  [
    'refuses a future timestamp (one second past the tolerance)',
    (r) => ({ body: BODY, headers: r.sign(BODY, r.secret, NOW + TOLERANCE + 1), secrets: [r.secret] }),
    refused(/is more than 300 s in the future$/),
  ],
  ['accepts a timestamp exactly the tolerance ahead', (r) => ({ body: BODY, headers: r.sign(BODY, r.secret, NOW + TOLERANCE), secrets: [r.secret] }), OK],
  [
    'refuses a stale timestamp even when the signature over it is right',
    (r) => ({ body: BODY, headers: r.sign(BODY, r.secret, NOW - 86_400), secrets: [r.secret, r.otherSecret] }),
    refused(/is older than 300 s$/),
  ],
];

function verify(r: Reference, c: Case): VerificationResult {
  return r.scheme.verify(c.body, c.headers, c.secrets.map((s) => r.scheme.keyOf(s)), clock);
}

describe.each(REFERENCES)('the %s scheme', (_name, reference) => {
  const rows = reference.timestamped ? [...COMMON, ...TIMESTAMPED] : COMMON;

  it.each(rows)('%s', (_what, make, verdict) => {
    expect(verify(reference, make(reference))).toEqual(verdict);
  });

  it('verifies what its own sign() writes, and only over the same bytes', () => {
    const key = reference.scheme.keyOf(reference.secret);
    const headers = reference.scheme.sign(BODY, key, { nowSeconds: NOW, id: MESSAGE_ID });
    expect(reference.scheme.verify(BODY, headers, [key], clock)).toEqual(OK);
    expect(reference.scheme.verify(TAMPERED, headers, [key], clock)).toEqual(MISMATCH);
    expect(Object.keys(headers).sort()).toEqual([...reference.scheme.headers].sort());
  });
});

describe('SCHEMES', () => {
  it.each(SIGNATURE_SCHEMES.map((name) => [name]))('serves the %s scheme under its own name', (name) => {
    expect(SCHEMES[name].name).toBe(name);
  });
});

describe('hmac-sha256 headers', () => {
  const scheme = new HmacSha256Scheme();
  const key = scheme.keyOf('the-shared-secret');
  const hex = hmacHex('the-shared-secret', BODY);
  const check = (headers: IncomingHttpHeaders) => scheme.verify(BODY, headers, [key]);

  it.each([
    ['a bare hex digest', hex],
    ['a sha256= prefix', `sha256=${hex}`],
    ['an upper-case prefix and digest', `SHA256=${hex.toUpperCase()}`],
    ['spaces around the value', `  sha256=${hex}  `],
  ])('accepts %s', (_what, value) => {
    expect(check({ 'x-signature': value })).toEqual(OK);
  });

  it.each([
    ['no x-signature header', {}, 'missing x-signature header'],
    ['an empty x-signature', { 'x-signature': '' }, 'missing x-signature header'],
    ['an x-signature of spaces', { 'x-signature': '   ' }, 'missing x-signature header'],
    ['a sha256= prefix alone', { 'x-signature': 'sha256=' }, 'x-signature is not a hex HMAC-SHA256'],
    ['a digest one hex digit short', { 'x-signature': hex.slice(1) }, 'x-signature is not a hex HMAC-SHA256'],
    ['a digest one hex digit long', { 'x-signature': `${hex}0` }, 'x-signature is not a hex HMAC-SHA256'],
    ['characters that are not hex', { 'x-signature': 'zz'.repeat(32) }, 'x-signature is not a hex HMAC-SHA256'],
    ['another algorithm named', { 'x-signature': `sha1=${hex}` }, 'x-signature is not a hex HMAC-SHA256'],
    ['the prefix twice', { 'x-signature': `sha256=sha256=${hex}` }, 'x-signature is not a hex HMAC-SHA256'],
    ['the digest in base64', { 'x-signature': Buffer.from(hex, 'hex').toString('base64') }, 'x-signature is not a hex HMAC-SHA256'],
    ['a well-formed digest of something else', { 'x-signature': 'ab'.repeat(32) }, 'signature does not match'],
  ])('refuses a delivery with %s', (_what, headers: IncomingHttpHeaders, reason) => {
    expect(check(headers)).toEqual(refused(reason));
  });
});

describe('standard-webhooks headers', () => {
  const scheme = new StandardWebhooksScheme();
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const key = scheme.keyOf(secret);
  const signed = {
    'webhook-id': MESSAGE_ID,
    'webhook-timestamp': String(NOW),
    'webhook-signature': new Webhook(secret).sign(MESSAGE_ID, new Date(NOW * 1000), BODY),
  };
  const signature = signed['webhook-signature'];
  const without = (name: keyof typeof signed) => Object.fromEntries(Object.entries(signed).filter(([k]) => k !== name));
  const check = (headers: IncomingHttpHeaders) => scheme.verify(BODY, headers, [key], clock);

  it.each([
    ['the webhook-* headers', signed],
    [
      "Svix's svix-* names for them",
      { 'svix-id': signed['webhook-id'], 'svix-timestamp': signed['webhook-timestamp'], 'svix-signature': signature },
    ],
    ['several signatures when one is right, skipping versions other than v1', { ...signed, 'webhook-signature': `v2,c29tZXRoaW5n v1,${Buffer.alloc(32).toString('base64')} ${signature}` }],
  ])('accepts %s', (_what, headers: IncomingHttpHeaders) => {
    expect(check(headers)).toEqual(OK);
  });

  it.each([
    ['no webhook-id', without('webhook-id'), 'missing webhook-id header'],
    ['no webhook-signature', without('webhook-signature'), 'missing webhook-signature header'],
    ['no webhook-timestamp', without('webhook-timestamp'), 'missing webhook-timestamp'],
    ['a webhook-timestamp that is a date', { ...signed, 'webhook-timestamp': new Date(NOW * 1000).toISOString() }, 'webhook-timestamp is not a unix timestamp'],
    ['a webhook-timestamp in milliseconds', { ...signed, 'webhook-timestamp': String(NOW * 1000) }, 'webhook-timestamp is not a unix timestamp'],
    ['a negative webhook-timestamp', { ...signed, 'webhook-timestamp': '-1' }, 'webhook-timestamp is not a unix timestamp'],
    ['a fractional webhook-timestamp', { ...signed, 'webhook-timestamp': `${NOW}.5` }, 'webhook-timestamp is not a unix timestamp'],
    ['a signature of another version only', { ...signed, 'webhook-signature': signature.replace('v1,', 'v2,') }, 'webhook-signature has no v1 signature'],
    ['a v1 entry without a value', { ...signed, 'webhook-signature': 'v1,' }, 'webhook-signature has no v1 signature'],
    ['a v1 entry without a comma', { ...signed, 'webhook-signature': 'v1' }, 'webhook-signature has no v1 signature'],
    ['a v1 value that is not base64', { ...signed, 'webhook-signature': 'v1,not-base64!' }, 'webhook-signature has no v1 signature'],
    ['a sha256= prefix on the value', { ...signed, 'webhook-signature': signature.replace('v1,', 'v1,sha256=') }, 'webhook-signature has no v1 signature'],
    ['another message id (the id is signed)', { ...signed, 'webhook-id': 'msg_other' }, 'signature does not match'],
    ['another timestamp within the tolerance (the timestamp is signed)', { ...signed, 'webhook-timestamp': String(NOW + 1) }, 'signature does not match'],
    ['the right digest written in hex', { ...signed, 'webhook-signature': `v1,${Buffer.from(signature.slice(3), 'base64').toString('hex')}` }, 'signature does not match'],
  ])('refuses a delivery with %s', (_what, headers: IncomingHttpHeaders, reason) => {
    expect(check(headers)).toEqual(refused(reason));
  });

  it('verifies the published test vector of standardwebhooks.com, and writes its signature', () => {
    const headers = {
      'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    };
    const vectorKey = scheme.keyOf('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    const payload = Buffer.from('{"test": 2432232314}');
    const at = { nowSeconds: 1614265330, toleranceSeconds: 300 };
    expect(scheme.verify(payload, headers, [vectorKey], at)).toEqual(OK);
    expect(scheme.sign(payload, vectorKey, { nowSeconds: 1614265330, id: 'msg_p5jXN8AQM9LWM0D4loKWxJek' })['webhook-signature']).toBe(
      headers['webhook-signature'],
    );
    expect(scheme.verify(Buffer.from('{"test": 2432232315}'), headers, [vectorKey], at)).toEqual(MISMATCH);
  });

  describe('agrees with the standardwebhooks package', () => {
    // The package checks timestamps against the real clock (5 minutes either way).
    const now = Math.floor(Date.now() / 1000);
    const realClock = { nowSeconds: now, toleranceSeconds: 300 };
    const payload = BODY.toString();
    const ours = (at: number, id = MESSAGE_ID) => scheme.sign(BODY, key, { nowSeconds: at, id });

    it.each([
      ['a delivery signed now', ours(now), payload, true],
      ['a tampered body', ours(now), TAMPERED.toString(), false],
      ['a signature made with another secret', { ...ours(now), 'webhook-signature': new Webhook('whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD').sign(MESSAGE_ID, new Date(now * 1000), payload) }, payload, false],
      ['a timestamp 400 s old', ours(now - 400), payload, false],
      ['a timestamp 400 s ahead', ours(now + 400), payload, false],
      ['another message id', { ...ours(now), 'webhook-id': 'msg_other' }, payload, false],
    ])('on %s', (_what, headers: Record<string, string>, body, verifies) => {
      const theirs = (() => {
        try {
          new Webhook(secret).verify(body, headers);
          return true;
        } catch {
          return false;
        }
      })();
      expect(scheme.verify(Buffer.from(body), headers, [key], realClock).ok).toBe(verifies);
      expect(theirs).toBe(verifies);
    });
  });
});

describe('stripe headers', () => {
  const scheme = new StripeScheme();
  const secret = 'whsec_stripe_endpoint_secret';
  const key = scheme.keyOf(secret);
  const header = Stripe.webhooks.generateTestHeaderString({ payload: BODY.toString(), secret, timestamp: NOW });
  const v1 = /v1=([0-9a-f]{64})/.exec(header)![1];
  const check = (value?: string) => scheme.verify(BODY, value === undefined ? {} : { 'stripe-signature': value }, [key], clock);

  it.each([
    ["the header of Stripe's SDK", header],
    ['spaces after the commas', `t=${NOW}, v1=${v1}`],
    ['the pairs in another order', `v1=${v1},t=${NOW}`],
    ['several v1 signatures when one is right', `t=${NOW},v1=${'0'.repeat(64)},v1=${v1}`],
    ['pairs it does not know, and a v0 beside the v1', `t=${NOW},v1=${v1},v0=${'1'.repeat(64)},scheme=x,junk`],
  ])('accepts %s', (_what, value) => {
    expect(check(value)).toEqual(OK);
  });

  it.each([
    ['no stripe-signature header', undefined, 'missing stripe-signature header'],
    ['an empty header', '', 'missing stripe-signature header'],
    ['no t', `v1=${v1}`, 'missing stripe-signature timestamp (t)'],
    ['an empty t', `t=,v1=${v1}`, 'missing stripe-signature timestamp (t)'],
    ['a t that is not a number', `t=yesterday,v1=${v1}`, 'stripe-signature timestamp (t) is not a unix timestamp'],
    ['a v0 signature only (Stripe test mode)', `t=${NOW},v0=${v1}`, 'stripe-signature has no v1 signature'],
    ['a v1 that is not hex', `t=${NOW},v1=${'zz'.repeat(32)}`, 'stripe-signature has no v1 signature'],
    ['a sha256= prefix on the v1', `t=${NOW},v1=sha256=${v1}`, 'stripe-signature has no v1 signature'],
    ['a v1 in base64', `t=${NOW},v1=${Buffer.from(v1, 'hex').toString('base64')}`, 'stripe-signature has no v1 signature'],
    ['another t within the tolerance (t is signed)', `t=${NOW + 1},v1=${v1}`, 'signature does not match'],
  ])('refuses a delivery with %s', (_what, value, reason) => {
    expect(check(value)).toEqual(refused(reason));
  });

  describe("agrees with Stripe's constructEvent", () => {
    const payload = BODY.toString();
    const ours = (at: number) => scheme.sign(BODY, key, { nowSeconds: at })['stripe-signature'];

    it.each([
      ['a delivery signed now', ours(NOW), payload, true],
      ['a tampered body', ours(NOW), TAMPERED.toString(), false],
      ['a signature made with another secret', Stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_other', timestamp: NOW }), payload, false],
      ['a timestamp 301 s old', ours(NOW - 301), payload, false],
      ['a timestamp 300 s old', ours(NOW - 300), payload, true],
      ['a v0 signature only', ours(NOW).replace('v1=', 'v0='), payload, false],
    ])('on %s', (_what, value, body, verifies) => {
      const theirs = (() => {
        try {
          // receivedAt is in milliseconds.
          const event = Stripe.webhooks.constructEvent(body, value, secret, TOLERANCE, undefined, NOW * 1000);
          return event.id === 'evt_1';
        } catch {
          return false;
        }
      })();
      expect(scheme.verify(Buffer.from(body), { 'stripe-signature': value }, [key], clock).ok).toBe(verifies);
      expect(theirs).toBe(verifies);
    });

    it("refuses a timestamp 400 s ahead, which Stripe's library lets through (it checks age only)", () => {
      const ahead = ours(NOW + 400);
      expect(Stripe.webhooks.constructEvent(payload, ahead, secret, TOLERANCE, undefined, NOW * 1000).id).toBe('evt_1');
      expect(scheme.verify(BODY, { 'stripe-signature': ahead }, [key], clock)).toEqual(refused(/in the future$/));
    });
  });
});

describe('keyOf: the HMAC key a configured secret stands for', () => {
  it.each([
    ['hmac-sha256 uses the secret as given', new HmacSha256Scheme(), 'whsec_c2VjcmV0', Buffer.from('whsec_c2VjcmV0', 'utf8')],
    ['stripe uses the whsec_ secret as the literal string', new StripeScheme(), 'whsec_c2VjcmV0', Buffer.from('whsec_c2VjcmV0', 'utf8')],
    ['standard-webhooks base64-decodes what follows whsec_', new StandardWebhooksScheme(), 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64')],
    ['standard-webhooks takes the base64 without its whsec_ prefix too', new StandardWebhooksScheme(), 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64')],
  ] as const)('%s', (_what, scheme, secret, expected) => {
    expect(scheme.keyOf(secret)).toEqual(expected);
  });

  it.each([
    ['an empty secret', ''],
    ['whsec_ alone', 'whsec_'],
    ['a secret with a space', 'whsec_c2Vj cmV0'],
    ['characters outside base64', 'whsec_c2VjcmV0$'],
    ['base64url instead of base64', 'whsec_c2V-cmV_'],
    ['padding in the middle', 'whsec_c2=VjcmV0'],
    ['more than two padding characters', 'whsec_c2VjcmV0==='],
    ['a key shorter than 16 bytes', 'whsec_c2VjcmV0'],
    ['15 bytes', 'whsec_' + Buffer.alloc(15, 7).toString('base64')],
    ['base64 that is not canonical', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS'],
  ])('standard-webhooks refuses %s', (_what, secret) => {
    expect(() => new StandardWebhooksScheme().keyOf(secret)).toThrow('not a standard-webhooks secret (whsec_ and the base64 of at least 16 bytes)');
  });
});
