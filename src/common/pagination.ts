import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { AppError } from './app-error.js';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** `?limit=&cursor=` of every list route. The cursor is opaque to callers. */
export class PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer' })
  @Min(1, { message: 'limit must be at least 1' })
  @Max(MAX_PAGE_SIZE, { message: `limit must be at most ${MAX_PAGE_SIZE}` })
  limit?: number;

  @ApiPropertyOptional({ description: 'next_cursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  /** Pass as `cursor` for the next page; null on the last one. */
  next_cursor: string | null;
}

export function encodeCursor(key: string[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/**
 * The keyset position a cursor stands for, each part checked against `shape`,
 * so that a forged cursor is a 400, never a query error.
 */
export function decodeCursor(cursor: string | undefined, shape: RegExp[]): string[] | undefined {
  if (cursor === undefined) return undefined;
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(key) &&
      key.length === shape.length &&
      key.every((part, i) => typeof part === 'string' && shape[i].test(part))
    ) {
      return key as string[];
    }
  } catch {
    // falls through to the 400 below
  }
  throw AppError.invalid([{ field: 'cursor', message: 'cursor is not one this API returned' }]);
}

// eslint-disable-next-line no-control-regex
export const TEXT_KEY = /^[^\u0000]{1,200}$/;
export const ID_KEY = /^[1-9][0-9]{0,17}$/;

/** A UUID as PostgreSQL writes one (notification endpoints' ids), any case. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Cuts a page fetched with `limit + 1` rows to `limit` and makes the next cursor from the last row kept. */
export function toPage<R, T>(rows: R[], limit: number, keyOf: (row: R) => string[], view: (row: R) => T): Page<T> {
  const kept = rows.slice(0, limit);
  return {
    items: kept.map(view),
    next_cursor: rows.length > limit ? encodeCursor(keyOf(kept[kept.length - 1])) : null,
  };
}
