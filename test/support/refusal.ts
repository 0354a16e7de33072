import { AppError } from '../../src/common/app-error.js';

/** The 400 (AppError) a call throws, or a failure when it throws nothing or something else. */
export function refusal(call: () => unknown): AppError {
  try {
    call();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected a 400, got none');
}

/** The fields an AppError names, in order. */
export const fieldsOf = (error: AppError) => (error.errors ?? []).map((e) => e.field);
