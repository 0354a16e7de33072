import { describe, expect, it } from '@jest/globals';
import { isDatabaseUnavailable, isRetryableTransactionError, sqlState } from '../../src/database/pg-errors.js';

/** Errors shaped as node-pg and TypeORM raise them. */
const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });
const wrapped = (driverError: Error) => Object.assign(new Error('query failed'), { driverError });

describe('database error classification', () => {
  it.each([
    ['connection refused', pgError('ECONNREFUSED')],
    ['connection reset', pgError('ECONNRESET')],
    ['admin shutdown (57P01)', wrapped(pgError('57P01'))],
    ['cannot connect now (57P03)', wrapped(pgError('57P03'))],
    ['too many connections (53300)', wrapped(pgError('53300'))],
    ['connection failure (08006)', wrapped(pgError('08006'))],
    ['lock timeout (55P03)', wrapped(pgError('55P03'))],
    ['statement timeout (57014)', wrapped(pgError('57014'))],
    ['a terminated connection', new Error('Connection terminated unexpectedly')],
    ['a pool that waited too long', new Error('timeout exceeded when trying to connect')],
    ['a cause chain', Object.assign(new Error('outer'), { cause: pgError('ECONNREFUSED') })],
    ['a transaction whose connection was closed under it', Object.assign(new Error('released'), { name: 'QueryRunnerProviderAlreadyReleasedError' })],
  ])('treats %s as the database being unavailable (503)', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a check violation (23514)', wrapped(pgError('23514'))],
    ['a unique violation (23505)', wrapped(pgError('23505'))],
    ['a syntax error (42601)', wrapped(pgError('42601'))],
    ['a plain bug', new TypeError('x is undefined')],
    ['a non-error', 'boom'],
  ])('does not treat %s as unavailability', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });

  it('retries serialization failures and deadlocks only', () => {
    expect(isRetryableTransactionError(wrapped(pgError('40001')))).toBe(true);
    expect(isRetryableTransactionError(wrapped(pgError('40P01')))).toBe(true);
    expect(isRetryableTransactionError(wrapped(pgError('23505')))).toBe(false);
    expect(isRetryableTransactionError(pgError('ECONNRESET'))).toBe(false);
    expect(sqlState(wrapped(pgError('40P01')))).toBe('40P01');
  });
});
