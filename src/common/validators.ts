import { registerDecorator, type ValidationOptions } from 'class-validator';

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/**
 * Text that PostgreSQL stores exactly as given: no control characters (text
 * cannot hold NUL) and no lone surrogates (the driver would turn them into
 * U+FFFD, so two different ids could become one).
 */
export function isPlainText(value: unknown, min: number, max: number): value is string {
  return (
    typeof value === 'string' &&
    value.length >= min &&
    value.length <= max &&
    !CONTROL_CHARS.test(value) &&
    value.isWellFormed()
  );
}

/** An order's limits, whichever gateway it comes from: more than any real order has, refused before the domain sees them. */
export const MAX_AMOUNT = 1e12;
export const MAX_LINES = 500;
export const MAX_QUANTITY = 1_000_000;

/** A JSON object (not an array, not null). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A line's quantity: an integer from 1 to MAX_QUANTITY. */
export function isQuantity(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_QUANTITY;
}

/** A finite number with at most `places` decimals (class-validator's own check throws on 1e-7). */
export function hasAtMostDecimals(value: unknown, places: number): value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return false;
  const scaled = value * 10 ** places;
  return Math.abs(scaled - Math.round(scaled)) < 1e-6 * Math.max(1, Math.abs(scaled));
}

function rule(name: string, validate: (value: unknown) => boolean, message: (property: string) => string) {
  return (options?: ValidationOptions): PropertyDecorator =>
    (target, propertyName) =>
      registerDecorator({
        name,
        target: target.constructor,
        propertyName: propertyName as string,
        options,
        validator: { validate, defaultMessage: (args) => message(args?.property ?? String(propertyName)) },
      });
}

/** A string of `min`..`max` characters that PostgreSQL keeps as given (see isPlainText). */
export function IsPlainText(min: number, max: number, options?: ValidationOptions): PropertyDecorator {
  return rule(
    'isPlainText',
    (value) => isPlainText(value, min, max),
    (property) => `${property} must be a string of ${min} to ${max} characters without control characters`,
  )(options);
}

/** The gateway's order id: a non-empty string of at most 128 characters, or a non-negative integer. */
export function isOrderId(value: unknown): value is string | number {
  return (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) || isPlainText(value, 1, 128);
}

export const IsOrderId = rule(
  'isOrderId',
  isOrderId,
  (property) => `${property} must be a non-empty string (at most 128 characters) or a non-negative integer`,
);

/** An amount of money: a finite number with at most 4 decimals. */
export const IsAmount = rule(
  'isAmount',
  (value) => hasAtMostDecimals(value, 4),
  (property) => `${property} must be a number with at most 4 decimals`,
);
