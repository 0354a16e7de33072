import { describe, expect, it } from '@jest/globals';
import { currencyExponent, majorUnits } from '../../src/webhooks/providers/stripe-currencies.js';

// https://docs.stripe.com/currencies: "Zero-decimal currencies", "Three-decimal currencies"; the rest have two.
const ZERO = ['BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF'];
const THREE = ['BHD', 'JOD', 'KWD', 'OMR', 'TND'];
const TWO = ['USD', 'EUR', 'GBP', 'CHF', 'CAD', 'ISK', 'HUF', 'TWD', 'INR', 'MXN'];

describe("Stripe's currency exponents", () => {
  it.each([...ZERO.map((c) => [c, 0]), ...THREE.map((c) => [c, 3]), ...TWO.map((c) => [c, 2])])('%s has %d decimals', (code, exponent) => {
    expect(currencyExponent(code as string)).toBe(exponent);
    expect(currencyExponent((code as string).toLowerCase())).toBe(exponent);
  });

  it.each([
    [0, 'usd', '0.00'],
    [1, 'usd', '0.01'],
    [99, 'usd', '0.99'],
    [100, 'usd', '1.00'],
    [1099, 'usd', '10.99'],
    [9_999_999_999_999, 'eur', '99999999999.99'],
    [0, 'jpy', '0'],
    [1099, 'jpy', '1099'],
    [1, 'krw', '1'],
    [5120, 'kwd', '5.120'],
    [1, 'kwd', '0.001'],
    [1000, 'tnd', '1.000'],
  ])('%d minor units of %s are %j', (minor, currency, major) => {
    expect(majorUnits(minor, currency)).toBe(major);
  });

  it.each([-1, 1.5, Number.MAX_SAFE_INTEGER + 1, Number.NaN])('refuses %d as an amount in minor units', (minor) => {
    expect(() => majorUnits(minor, 'usd')).toThrow(RangeError);
  });
});
