import { isValidSession } from '../auth/admin-token.js';
import { isPlainText } from '../common/validators.js';
import type { AppConfig } from '../config/app-config.js';
import { type HttpReply, type HttpRequest, redirectTo } from '../http/http.js';
import { loginPage } from './views.js';

/** The console's session cookie: HttpOnly, SameSite=Strict, never the token itself. */
export const CONSOLE_COOKIE = 'shelfsync_console';

/** A console form's fields, or a page's query. */
export type Form = Record<string, string | undefined>;

export function sessionOf(request: HttpRequest): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === CONSOLE_COOKIE) return value.join('=');
  }
  return undefined;
}

/** The message a redirect after an action carries (`notice`, or `problem` for an error). */
export function flashFrom(query: Form): { message: string; error?: true } | undefined {
  if (query.notice && isPlainText(query.notice, 1, 300)) return { message: query.notice };
  if (query.problem && isPlainText(query.problem, 1, 300)) return { message: query.problem, error: true };
  return undefined;
}

/** A console page: HTML, never cached. */
export function sendPage(reply: HttpReply, status: number, page: string): void {
  void reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page);
}

/**
 * Actions (POST) must come from the console itself, beyond what the
 * SameSite=Strict cookie already stops: browsers say where a request comes
 * from (Sec-Fetch-Site, Origin), and it must be this console. Answers 403
 * otherwise.
 */
export function sameOrigin(request: HttpRequest, response: HttpReply): boolean {
  const site = request.headers['sec-fetch-site'];
  const origin = request.headers.origin;
  const fromElsewhere =
    (typeof site === 'string' && site !== 'same-origin' && site !== 'none') ||
    (typeof origin === 'string' && origin !== 'null' && new URL(origin).host !== request.headers.host);
  if (!fromElsewhere) return true;
  sendPage(response, 403, loginPage('That form came from another site; open the console itself.'));
  return false;
}

/** Pages need a session: without one, the browser goes to the login form. */
export function signedIn(config: AppConfig, request: HttpRequest, response: HttpReply): boolean {
  if (isValidSession(config.adminToken, sessionOf(request))) return true;
  redirectTo(response, '/console/login');
  return false;
}
