import { AppError } from '../common/app-error.js';
import type { Page } from '../common/pagination.js';
import type { HttpReply } from '../http/http.js';

/** A console form's fields, or a page's query: one value each (ConsoleFields refuses a repeated one). */
export type Form = Record<string, string | undefined>;

/** A console page: HTML, never cached. */
export function sendPage(reply: HttpReply, status: number, page: string): void {
  void reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page);
}

/** A page of a list; a cursor edited by hand (a 400) starts the list over rather than failing the page. */
export async function pageOrFirst<T>(list: (cursor?: string) => Promise<Page<T>>, cursor: string | undefined): Promise<Page<T>> {
  try {
    return await list(cursor);
  } catch (error) {
    if (cursor === undefined || !(error instanceof AppError) || error.status !== 400) throw error;
    return list();
  }
}

/**
 * What an action did, said by the page it leads to. The URL names the notice
 * by its code (`?done=replayed`); the words are the page's own, made from what
 * it reads from the database, so a link cannot put a sentence of its own on a
 * console page. An unknown code shows nothing.
 */
const NOTICES = ['replayed', 'adjusted', 'retried'] as const;
export type Notice = (typeof NOTICES)[number];

export function noticeOf(query: Form): Notice | undefined {
  return NOTICES.find((notice) => notice === query.done);
}

/** `path` with the notice's code (and the query it needs, such as the SKU adjusted) for the page to say. */
export function withNotice(path: string, notice: Notice, query: Record<string, string> = {}): string {
  const separator = path.includes('?') ? '&' : '?';
  return `${path}${separator}${new URLSearchParams({ ...query, done: notice }).toString()}`;
}

/** An action refused for a reason the client can act on (a 4xx AppError); anything else goes on to the error filter. */
export function refusalOf(error: unknown): AppError {
  if (error instanceof AppError && error.status < 500) return error;
  throw error;
}
