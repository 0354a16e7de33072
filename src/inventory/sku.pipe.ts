import { Injectable, type PipeTransform } from '@nestjs/common';
import { AppError } from '../common/app-error.js';
import { isPlainText } from '../common/validators.js';


/** A SKU in a path: the same rule as in a webhook line (1 to 100 characters, no control characters). */
@Injectable()
export class SkuPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!isPlainText(value, 1, 100)) {
      throw AppError.invalid([{ field: 'sku', message: 'sku must be 1 to 100 characters without control characters' }]);
    }
    return value;
  }
}
