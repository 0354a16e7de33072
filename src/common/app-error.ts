export interface FieldProblem {
  field: string;
  message: string;
}

/**
 * An error the client can act on. `code` is stable and machine-readable; the
 * exception filter turns it into `{ statusCode, error: code, message, errors? }`.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors?: FieldProblem[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'AppError';
  }

  static invalid(errors: FieldProblem[], what = 'invalid request'): AppError {
    const message = `${what}: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`;
    return new AppError(400, 'invalid_payload', message, errors);
  }

  static notFound(message: string): AppError {
    return new AppError(404, 'not_found', message);
  }

  static conflict(message: string, code = 'conflict'): AppError {
    return new AppError(409, code, message);
  }

  static unauthorized(message: string): AppError {
    return new AppError(401, 'unauthorized', message, undefined, { 'www-authenticate': 'Bearer' });
  }

  static databaseUnavailable(): AppError {
    return new AppError(503, 'database_unavailable', 'the database is unavailable; retry later', undefined, {
      'retry-after': '5',
    });
  }
}
