import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { AppError } from '../../src/common/app-error.js';
import { cameFromConsole, ConsoleFields } from '../../src/console/console-access.js';
import { noticeOf, pageOrFirst, withNotice } from '../../src/console/pages.js';

describe('the console: where a form may come from', () => {
  const host = 'console.example:3000';
  it.each([
    [{}, true],
    [{ 'sec-fetch-site': 'same-origin' }, true],
    [{ 'sec-fetch-site': 'none' }, true],
    [{ 'sec-fetch-site': 'cross-site' }, false],
    [{ 'sec-fetch-site': 'same-site' }, false],
    [{ origin: 'http://console.example:3000' }, true],
    [{ origin: 'https://console.example:3000' }, true],
    [{ origin: 'null' }, true],
    [{ origin: 'https://evil.example' }, false],
    [{ origin: 'http://console.example' }, false],
    [{ origin: 'garbage' }, false],
    [{ origin: 'http://' }, false],
    [{ origin: 'http://[::1' }, false],
    [{ origin: '' }, false],
    [{ origin: 'http://console.example:3000', 'sec-fetch-site': 'cross-site' }, false],
  ])('%j: %s', (headers, allowed) => {
    expect(cameFromConsole({ headers: { host, ...headers } })).toBe(allowed);
  });
});

describe('the console: one string per field', () => {
  const pipe = new ConsoleFields();
  const refusal = (value: unknown, type: 'body' | 'query', data?: string) => {
    try {
      pipe.transform(value, { type, data });
    } catch (error) {
      if (error instanceof AppError) return [error.status, error.errors];
      throw error;
    }
    return 'passed';
  };

  it.each([
    [{ token: 'a' }, 'body', 'passed'],
    [{}, 'query', 'passed'],
    [{ token: ['a', 'b'] }, 'body', [400, [{ field: 'token', message: 'token is given more than once' }]]],
    [{ status: ['failed', 'ignored'], type: 'x' }, 'query', [400, [{ field: 'status', message: 'status is given more than once' }]]],
    ['token=a', 'body', [400, [{ field: 'body', message: 'the body must be a form' }]]],
    [['token'], 'body', [400, [{ field: 'body', message: 'the body must be a form' }]]],
    [{ token: {} }, 'body', [400, [{ field: 'token', message: 'token must be a string' }]]],
    [{ token: 42 }, 'body', [400, [{ field: 'token', message: 'token must be a string' }]]],
    [{ delta: true, reason: 'x' }, 'body', [400, [{ field: 'delta', message: 'delta must be a string' }]]],
    [{ delta: '5', reason: null }, 'body', [400, [{ field: 'reason', message: 'reason must be a string' }]]],
  ] as const)('%j as the %s: %j', (value, type, expected) => {
    expect(refusal(value, type)).toEqual(expected);
  });

  it('reads a missing form as an empty one, and leaves route parameters alone', () => {
    expect(pipe.transform(undefined, { type: 'body' })).toEqual({});
    expect(pipe.transform(['a'], { type: 'param', data: 'id' })).toEqual(['a']);
    expect(refusal(['a', 'b'], 'query', 'endpoint_id')).toEqual([400, [{ field: 'endpoint_id', message: 'endpoint_id is given more than once' }]]);
  });
});

describe('the console: notices', () => {
  it.each([
    [{ done: 'replayed' }, 'replayed'],
    [{ done: 'adjusted' }, 'adjusted'],
    [{ done: 'retried' }, 'retried'],
    [{}, undefined],
    [{ done: 'Your session expired. Log in again at https://evil.example' }, undefined],
    [{ notice: 'replayed' }, undefined],
    [{ done: 'REPLAYED' }, undefined],
    [{ done: 'constructor' }, undefined],
  ])('%j names %s', (query, notice) => {
    expect(noticeOf(query)).toBe(notice);
  });

  it('puts the code (and what the page needs to say it) in the URL, nothing else', () => {
    expect(withNotice('/console/deliveries/7', 'replayed')).toBe('/console/deliveries/7?done=replayed');
    expect(withNotice('/console/inventory', 'adjusted', { sku: 'TEE/RED L' })).toBe('/console/inventory?sku=TEE%2FRED+L&done=adjusted');
  });
});

describe('the console: a cursor edited by hand', () => {
  const list = (cursor?: string) =>
    cursor === undefined ? Promise.resolve({ items: ['first'], next_cursor: null }) : cursor === 'good' ? Promise.resolve({ items: ['later'], next_cursor: null }) : Promise.reject(AppError.invalid([{ field: 'cursor', message: 'no' }]));

  it('starts the list over; any other failure stays one', async () => {
    expect((await pageOrFirst(list, 'good')).items).toEqual(['later']);
    expect((await pageOrFirst(list, 'forged')).items).toEqual(['first']);
    expect((await pageOrFirst(list, undefined)).items).toEqual(['first']);
    await expect(pageOrFirst(() => Promise.reject(AppError.databaseUnavailable()), 'good')).rejects.toMatchObject({ status: 503 });
  });
});

describe('the console: who imports it', () => {
  const src = join(import.meta.dirname, '../../src');
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? files(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : []));

  it('is imported by the app module only: the modules whose services its pages read never import it back', () => {
    const importers = files(src)
      .filter((file) => !relative(src, file).startsWith('console/'))
      .filter((file) => /from '[./]+\/console\//.test(readFileSync(file, 'utf8')))
      .map((file) => relative(src, file));
    expect(importers).toEqual(['app.module.ts']);
  });
});
