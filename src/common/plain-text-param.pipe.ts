import type { PipeTransform } from '@nestjs/common';
import { AppError } from './app-error.js';
import { isPlainText } from './validators.js';

/**
 * A text path parameter (a SKU, an order id) held to the same rule as in a
 * webhook: 1 to `max` characters that PostgreSQL stores as given. A value
 * that breaks it is a 400 naming the parameter, never a query error.
 */
export class PlainTextParamPipe implements PipeTransform<string, string> {
  constructor(
    private readonly field: string,
    private readonly max: number,
  ) {}

  transform(value: string): string {
    if (!isPlainText(value, 1, this.max)) {
      throw AppError.invalid([{ field: this.field, message: `${this.field} must be 1 to ${this.max} characters without control characters` }]);
    }
    return value;
  }
}
