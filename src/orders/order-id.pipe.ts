import { Injectable, type PipeTransform } from '@nestjs/common';
import { AppError } from '../common/app-error.js';
import { isPlainText } from '../common/validators.js';

/** An order id in a path: the same text rule as in a webhook. */
@Injectable()
export class OrderIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!isPlainText(value, 1, 128)) {
      throw AppError.invalid([{ field: 'order_id', message: 'order_id must be 1 to 128 characters without control characters' }]);
    }
    return value;
  }
}
