import { registerDecorator, type ValidationOptions } from 'class-validator';

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** A string of `min`..`max` characters with no control characters (PostgreSQL text cannot hold NUL). */
export function IsPlainText(min: number, max: number, options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isPlainText',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && value.length >= min && value.length <= max && !CONTROL_CHARS.test(value),
        defaultMessage: (args) =>
          `${args?.property} must be a string of ${min} to ${max} characters without control characters`,
      },
    });
}

/** The gateway's order id: a non-empty string, or a non-negative integer. */
export function IsOrderId(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isOrderId',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (value: unknown) =>
          (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) ||
          (typeof value === 'string' && value.length >= 1 && value.length <= 128 && !CONTROL_CHARS.test(value)),
        defaultMessage: (args) =>
          `${args?.property} must be a non-empty string (at most 128 characters) or a non-negative integer`,
      },
    });
}
