/**
 * How many decimals Stripe's amounts carry per currency: Stripe sends every
 * amount as an integer in the currency's smallest unit. Source: Stripe,
 * "Supported currencies", https://docs.stripe.com/currencies (sections
 * "Zero-decimal currencies" and "Three-decimal currencies"); every other
 * currency has two. (ISK and HUF are two-decimal in the API, with amounts
 * divisible by 100; that changes nothing here.)
 */
const ZERO_DECIMAL = new Set([
  'BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF',
]);
const THREE_DECIMAL = new Set(['BHD', 'JOD', 'KWD', 'OMR', 'TND']);

/** The number of decimals of `currency` (ISO 4217, any case) in Stripe's amounts. */
export function currencyExponent(currency: string): 0 | 2 | 3 {
  const code = currency.toUpperCase();
  if (ZERO_DECIMAL.has(code)) return 0;
  if (THREE_DECIMAL.has(code)) return 3;
  return 2;
}

/**
 * A Stripe amount (a non-negative integer in minor units) as an exact decimal
 * string in major units, digit by digit, never through a floating point
 * number: 1099 USD is "10.99", 1099 JPY is "1099", 5120 KWD is "5.120".
 */
export function majorUnits(minor: number, currency: string): string {
  if (!Number.isSafeInteger(minor) || minor < 0) throw new RangeError(`not an amount in minor units: ${minor}`);
  const exponent = currencyExponent(currency);
  const digits = String(minor);
  if (exponent === 0) return digits;
  const padded = digits.padStart(exponent + 1, '0');
  return `${padded.slice(0, -exponent)}.${padded.slice(-exponent)}`;
}
