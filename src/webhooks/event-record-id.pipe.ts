import { Injectable, type PipeTransform } from '@nestjs/common';
import { AppError } from '../common/app-error.js';
import { ID_KEY } from '../common/pagination.js';

/** The `id` of a stored delivery (the record's number, not the gateway's event id). */
@Injectable()
export class EventRecordIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!ID_KEY.test(value)) throw AppError.invalid([{ field: 'id', message: 'id must be a positive integer' }]);
    return value;
  }
}
