import { describe, expect, it } from '@jest/globals';
import Stripe from 'stripe';
import { StripeScheme } from '../../src/webhooks/signature/stripe.scheme.js';
import { stripeFixture } from '../support/stripe-fixtures.js';

/**
 * Our stripe scheme against Stripe's own Node library, on a Stripe event's
 * bytes: what the SDK signs we verify, what we sign the SDK's constructEvent
 * accepts, and both refuse the same forgeries.
 */
const stripe = new Stripe('sk_test_x');
const scheme = new StripeScheme();
const SECRET = 'whsec_test_endpoint_secret_1a2b3c';
const OTHER_SECRET = 'whsec_some_other_endpoint';
const NOW = 1_767_225_600;
const TOLERANCE = 300;
const clock = { nowSeconds: NOW, toleranceSeconds: TOLERANCE };
const payload = stripeFixture('payment_intent.succeeded').toString('utf8');
const tampered = payload.replace('"amount_received": 1099', '"amount_received": 9999');

const theirHeader = (secret: string, at: number, body = payload) => stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp: at });
const ourHeader = (secret: string, at: number, body = payload) =>
  scheme.sign(Buffer.from(body), scheme.keyOf(secret), { nowSeconds: at })['stripe-signature'];

const weVerify = (body: string, header: string) => scheme.verify(Buffer.from(body), { 'stripe-signature': header }, [scheme.keyOf(SECRET)], clock).ok;
const theyVerify = (body: string, header: string) => {
  try {
    // receivedAt in milliseconds
    return stripe.webhooks.constructEvent(body, header, SECRET, TOLERANCE, undefined, NOW * 1000).id === 'evt_fixture_payment_intent_succeeded';
  } catch (error) {
    expect(error).toBeInstanceOf(Stripe.errors.StripeSignatureVerificationError);
    return false;
  }
};

describe("the stripe scheme and Stripe's SDK", () => {
  it.each([
    ['signed now', SECRET, NOW, payload, true],
    ['signed 299 s ago', SECRET, NOW - 299, payload, true],
    ['tampered after signing', SECRET, NOW, tampered, false],
    ['signed with another secret', OTHER_SECRET, NOW, payload, false],
    ['signed 301 s ago (stale)', SECRET, NOW - 301, payload, false],
    ['signed an hour ago (stale)', SECRET, NOW - 3600, payload, false],
  ])('a Stripe event %s', (_what, secret, at, received, verifies) => {
    expect(tampered).not.toBe(payload);
    // the SDK signs the sample's bytes; our scheme verifies the bytes received
    expect(weVerify(received, theirHeader(secret, at))).toBe(verifies);
    // our scheme signs; the SDK's constructEvent verifies
    expect(theyVerify(received, ourHeader(secret, at))).toBe(verifies);
  });

  it('makes the same header as the SDK for the same bytes, secret and time', () => {
    expect(ourHeader(SECRET, NOW)).toBe(theirHeader(SECRET, NOW));
  });

  it('accepts a header carrying a rolled secret beside the current one (Stripe signs with both for a while)', () => {
    const v1Of = (header: string) => header.split(',').find((part) => part.startsWith('v1='))!;
    const both = `${theirHeader(OTHER_SECRET, NOW)},${v1Of(theirHeader(SECRET, NOW))}`;
    expect(weVerify(payload, both)).toBe(true);
    expect(theyVerify(payload, both)).toBe(true);
  });
});
