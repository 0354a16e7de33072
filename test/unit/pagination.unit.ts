// class-transformer's @Type reads design-time metadata, as in every entry point of the service.
import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { AppError } from '../../src/common/app-error.js';
import { decodeCursor, encodeCursor, ID_KEY, PageQueryDto, TEXT_KEY, toPage } from '../../src/common/pagination.js';

/** The shape of the orders listing's cursor: (created_at as text, id). */
const SHAPE = [TEXT_KEY, ID_KEY];
const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('cursors', () => {
  it.each([
    ['a timestamp and the smallest id', ['2026-12-01T10:00:00.000Z', '1']],
    ['text with a slash, spaces and accents, and the largest id', ['SKU/with spaces & ünïcödé', '999999999999999999']],
    ['a text part of 200 characters', ['x'.repeat(200), '42']],
  ])('reads back the position it wrote: %s', (_what, key) => {
    const cursor = encodeCursor(key);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, SHAPE)).toEqual(key);
  });

  it('reads no cursor as the first page', () => {
    expect(decodeCursor(undefined, SHAPE)).toBeUndefined();
  });

  it.each([
    ['an empty cursor', ''],
    ['text that is not base64url JSON', '%%%not-a-cursor%%%'],
    ['JSON that is an object', forged({ created_at: 'x', id: '1' })],
    ['a key one part short', forged(['2026-12-01'])],
    ['a key one part long', forged(['2026-12-01', '1', '2'])],
    ['a part that is a number', forged(['2026-12-01', 1])],
    ['a part that is null', forged([null, '1'])],
    ['an id of 0', forged(['2026-12-01', '0'])],
    ['an id with a leading zero', forged(['2026-12-01', '01'])],
    ['an id of 19 digits', forged(['2026-12-01', '1'.repeat(19)])],
    ['an id with SQL in it', forged(['2026-12-01', '1 OR 1=1'])],
    ['an empty text part', forged(['', '1'])],
    ['a text part of 201 characters', forged(['x'.repeat(201), '1'])],
    ['a text part with a NUL', forged(['a\u0000b', '1'])],
  ])('refuses %s with a 400 naming the cursor, never a query error', (_what, cursor) => {
    let thrown: unknown;
    try {
      decodeCursor(cursor, SHAPE);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect(thrown).toMatchObject({ status: 400, errors: [{ field: 'cursor', message: 'cursor is not one this API returned' }] });
  });
});

describe('toPage', () => {
  const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ id: String(i + 1), name: `row ${i + 1}` }));
  const page = (n: number, limit: number) =>
    toPage(
      rows(n),
      limit,
      (row) => [row.name, row.id],
      (row) => row.id,
    );

  it.each([
    // [rows fetched (limit + 1 asked for), limit, ids answered, position the next cursor points at]
    [4, 3, ['1', '2', '3'], ['row 3', '3']],
    [3, 3, ['1', '2', '3'], null],
    [2, 3, ['1', '2'], null],
    [0, 3, [], null],
    [2, 1, ['1'], ['row 1', '1']],
  ])('with %i rows fetched for a limit of %i answers %j and a next cursor at %j', (fetched, limit, ids, next) => {
    const result = page(fetched, limit);
    expect(result.items).toEqual(ids);
    expect(result.next_cursor === null ? null : decodeCursor(result.next_cursor, SHAPE)).toEqual(next);
  });
});

describe('?limit=&cursor=', () => {
  const check = (query: Record<string, string>) => {
    const dto = plainToInstance(PageQueryDto, query);
    return { dto, problems: validateSync(dto).flatMap((e) => Object.values(e.constraints ?? {})) };
  };

  it.each([
    [{}, undefined],
    [{ limit: '1' }, 1],
    [{ limit: '200' }, 200],
  ])('accepts %j, reading limit %s', (query, limit) => {
    const { dto, problems } = check(query);
    expect(problems).toEqual([]);
    expect(dto.limit).toBe(limit);
  });

  it.each([
    ['limit=0', { limit: '0' }, 'limit must be at least 1'],
    ['limit=201', { limit: '201' }, 'limit must be at most 200'],
    ['limit=2.5', { limit: '2.5' }, 'limit must be an integer'],
    ['limit=ten', { limit: 'ten' }, 'limit must be an integer'],
    ['a cursor of 501 characters', { cursor: 'c'.repeat(501) }, 'cursor must be shorter than or equal to 500 characters'],
  ])('refuses %s: %s', (_what, query, message) => {
    expect(check(query).problems).toContain(message);
  });
});
