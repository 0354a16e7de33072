import { describe, expect, it } from '@jest/globals';
import { isDatabaseUnavailable, isRetryableTransactionError, sqlState } from '../../src/database/pg-errors.js';

/** Errors shaped as node-pg and TypeORM raise them. */
const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });
const wrapped = (driverError: Error) => Object.assign(new Error('query failed'), { driverError });
const caused = (cause: unknown) => Object.assign(new Error('outer'), { cause });
const named = (name: string) => Object.assign(new Error('released'), { name });
/** An error whose cause leads back to itself. */
const cyclic = () => {
  const a = new Error('a') as Error & { cause?: unknown };
  a.cause = caused(a);
  return a;
};

describe('database error classification', () => {
  it.each([
    ['connection refused', pgError('ECONNREFUSED')],
    ['connection reset', pgError('ECONNRESET')],
    ['a broken pipe', pgError('EPIPE')],
    ['a connect timeout', pgError('ETIMEDOUT')],
    ['an unknown host', pgError('ENOTFOUND')],
    ['a host that cannot be reached', pgError('EHOSTUNREACH')],
    ['a network that cannot be reached', pgError('ENETUNREACH')],
    ['a DNS failure that may pass', pgError('EAI_AGAIN')],
    ['admin shutdown (57P01)', wrapped(pgError('57P01'))],
    ['crash shutdown (57P02)', wrapped(pgError('57P02'))],
    ['cannot connect now (57P03)', wrapped(pgError('57P03'))],
    ['too many connections (53300)', wrapped(pgError('53300'))],
    ['a full disk (53100)', wrapped(pgError('53100'))],
    ['connection failure (08006)', wrapped(pgError('08006'))],
    ['a connection that could not be made (08001)', wrapped(pgError('08001'))],
    ['lock timeout (55P03)', wrapped(pgError('55P03'))],
    ['statement timeout (57014)', wrapped(pgError('57014'))],
    ['idle-in-transaction timeout (25P03)', wrapped(pgError('25P03'))],
    ['a terminated connection', new Error('Connection terminated unexpectedly')],
    ['a pool that waited too long', new Error('timeout exceeded when trying to connect')],
    ['a client with a connection error', new Error('Client has encountered a connection error and is not queryable')],
    ['a closed client', new Error('Client was closed and is not queryable')],
    ['a pool already ended', new Error('Cannot use a pool after calling end on the pool')],
    ['a TypeORM connection never established', new Error('Connection is not established with postgres database')],
    ['a cause chain', caused(pgError('ECONNREFUSED'))],
    ['a cause two levels down', caused(wrapped(pgError('57P01')))],
    ['an AggregateError of refused addresses (IPv4 and IPv6 tried)', new AggregateError([pgError('ECONNREFUSED'), pgError('ECONNREFUSED')], 'connect')],
    ['a transaction whose connection was closed under it', named('QueryRunnerProviderAlreadyReleasedError')],
    ['a query runner already released', named('QueryRunnerAlreadyReleasedError')],
  ])('treats %s as the database being unavailable (503)', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a check violation (23514)', wrapped(pgError('23514'))],
    ['a unique violation (23505)', wrapped(pgError('23505'))],
    ['a syntax error (42601)', wrapped(pgError('42601'))],
    ['a serialization failure (40001), which is retried instead', wrapped(pgError('40001'))],
    ['a deadlock (40P01), which is retried instead', wrapped(pgError('40P01'))],
    ['operator intervention (57000), not one of the 57P shutdowns', wrapped(pgError('57000'))],
    ['a plain bug', new TypeError('x is undefined')],
    ['a non-error', 'boom'],
    ['undefined', undefined],
    ['null', null],
    ['a cause chain that loops', cyclic()],
  ])('does not treat %s as unavailability', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });

  it.each([
    ['a serialization failure (40001)', wrapped(pgError('40001')), true],
    ['a deadlock (40P01)', wrapped(pgError('40P01')), true],
    ['a deadlock found through cause', caused(pgError('40P01')), true],
    ['a unique violation (23505)', wrapped(pgError('23505')), false],
    ['a connection reset', pgError('ECONNRESET'), false],
    ['a lock timeout (55P03)', wrapped(pgError('55P03')), false],
    ['a non-error', 'boom', false],
  ])('retries the whole transaction on %s: %s', (_name, error, retried) => {
    expect(isRetryableTransactionError(error)).toBe(retried);
  });

  it.each([
    ['on the error itself', pgError('23505'), '23505'],
    ["on TypeORM's driverError", wrapped(pgError('40P01')), '40P01'],
    ['on a cause', caused(pgError('55P03')), '55P03'],
    ['inside an AggregateError', new AggregateError([new Error('a'), pgError('08006')]), '08006'],
    ['of the outer error before the inner one', Object.assign(wrapped(pgError('23505')), { code: '40001' }), '40001'],
    ['raised by a database function (raise_exception)', wrapped(pgError('P0001')), 'P0001'],
    ['nowhere, for a Node error code of another length', pgError('ECONNREFUSED'), undefined],
    ['nowhere, for a lower-case code', pgError('ab123'), undefined],
    ['nowhere, for a numeric code', Object.assign(new Error('x'), { code: 23505 }), undefined],
    ['nowhere, for a cause chain that loops', cyclic(), undefined],
  ])('finds the SQLSTATE %s', (_where, error, code) => {
    expect(sqlState(error)).toBe(code);
  });
});
