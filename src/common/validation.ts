import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { AppError, type FieldProblem } from './app-error.js';

/** class-validator's error tree as flat `a.b[0].c` paths, one entry per failed rule. */
export function flattenValidationErrors(errors: ValidationError[], prefix = ''): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const error of errors) {
    const path = /^\d+$/.test(error.property)
      ? `${prefix}[${error.property}]`
      : prefix
        ? `${prefix}.${error.property}`
        : error.property;
    for (const message of Object.values(error.constraints ?? {})) problems.push({ field: path, message });
    if (error.children?.length) problems.push(...flattenValidationErrors(error.children, path));
  }
  return problems;
}

/**
 * Validates a delivery's data against a DTO: the instance, or a 400 naming
 * every bad field under `prefix` (`data.items[0].quantity`).
 */
export function validatePayload<T extends object>(dto: ClassConstructor<T>, data: unknown, prefix: string): T {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw AppError.invalid([{ field: prefix, message: `${prefix} must be a JSON object` }], 'invalid webhook payload');
  }
  const instance = plainToInstance(dto, data);
  const errors = validateSync(instance, { forbidUnknownValues: true, stopAtFirstError: true });
  if (errors.length) throw AppError.invalid(flattenValidationErrors(errors, prefix), 'invalid webhook payload');
  return instance;
}
