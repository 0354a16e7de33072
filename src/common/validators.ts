import { registerDecorator, type ValidationOptions } from 'class-validator';

/** An order id's and a payment id's length, wherever one is read (gateways, API, console). */
export const MAX_ID_LENGTH = 128;
/** A SKU's length, wherever one is read. */
export const MAX_SKU_LENGTH = 100;

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

/** A string of `min`..`max` characters that PostgreSQL keeps as given (see isPlainText). */
export function IsPlainText(min: number, max: number, options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isPlainText',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (value) => isPlainText(value, min, max),
        defaultMessage: (args) => `${args?.property ?? String(propertyName)} must be a string of ${min} to ${max} characters without control characters`,
      },
    });
}
