import { Injectable, type PipeTransform } from '@nestjs/common';
import { AppError } from '../common/app-error.js';

// eslint-disable-next-line no-control-regex
const VALID_SKU = /^[^\u0000-\u001f\u007f]{1,100}$/;

/** A SKU in a path: the same rule as in a webhook line (1 to 100 characters, no control characters). */
@Injectable()
export class SkuPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!VALID_SKU.test(value)) {
      throw AppError.invalid([{ field: 'sku', message: 'sku must be 1 to 100 characters without control characters' }]);
    }
    return value;
  }
}
