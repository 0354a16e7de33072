import {
  type ArgumentsHost,
  applyDecorators,
  type CanActivate,
  Catch,
  Controller,
  type ExceptionFilter,
  type ExecutionContext,
  Injectable,
  type PipeTransform,
  type ArgumentMetadata,
  SetMetadata,
  UseFilters,
  UseGuards,
  UsePipes,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiExcludeController } from '@nestjs/swagger';
import { isValidSession } from '../auth/admin-token.js';
import { AppError } from '../common/app-error.js';
import { AppConfig } from '../config/app-config.js';
import { type HttpReply, type HttpRequest, redirectTo } from '../http/http.js';
import { sendPage } from './pages.js';
import { loginPage } from './views.js';

/** The console's session cookie: HttpOnly, SameSite=Strict, never the token itself. */
export const CONSOLE_COOKIE = 'shelfsync_console';

export function sessionOf(request: HttpRequest): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === CONSOLE_COOKIE) return value.join('=');
  }
  return undefined;
}

/** Why the console turned a request away before its handler ran. */
class ConsoleRefusal extends Error {
  constructor(readonly reason: 'no-session' | 'other-site') {
    super(reason);
  }
}

function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}

/**
 * Whether an action (POST) comes from the console itself, beyond what the
 * SameSite=Strict cookie already stops: browsers say where a request comes
 * from (Sec-Fetch-Site, Origin), and it must be this console. An Origin that
 * is not a URL (`garbage`, `http://`) is not this console either.
 */
export function cameFromConsole(request: Pick<HttpRequest, 'headers'>): boolean {
  const site = request.headers['sec-fetch-site'];
  const origin = request.headers.origin;
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') return false;
  return typeof origin !== 'string' || origin === 'null' || hostOf(origin) === request.headers.host;
}

const OPEN = 'shelfsync:console-open';

/** A console route anyone may call: the login form and logout. Every other one needs a session. */
export const OpenConsoleRoute = (): MethodDecorator => SetMetadata(OPEN, true);

/**
 * The console's access, for every route of a @ConsolePages controller: an
 * action (anything but GET and HEAD) must come from the console itself (else
 * 403), and every route but the @OpenConsoleRoute ones needs a session (else
 * the browser goes to the login form).
 */
@Injectable()
export class ConsoleAccessGuard implements CanActivate {
  constructor(
    private readonly config: AppConfig,
    private readonly reflector: Reflector,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<HttpRequest>();
    if (request.method !== 'GET' && request.method !== 'HEAD' && !cameFromConsole(request)) throw new ConsoleRefusal('other-site');
    if (this.reflector.get<boolean | undefined>(OPEN, context.getHandler())) return true;
    if (!isValidSession(this.config.adminToken, sessionOf(request))) throw new ConsoleRefusal('no-session');
    return true;
  }
}

/** Answers ConsoleAccessGuard's refusals as a browser needs them: the login form, or a 403 page saying why. */
@Catch(ConsoleRefusal)
export class ConsoleRefusalFilter implements ExceptionFilter {
  catch(refusal: ConsoleRefusal, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<HttpReply>();
    if (refusal.reason === 'no-session') redirectTo(response, '/console/login');
    else sendPage(response, 403, loginPage('That form came from another site; open the console itself.'));
  }
}

/**
 * Every console handler reads each form field and query parameter as one
 * string: one given twice (`token=a&token=b`) or not as a string (a JSON
 * body's `{"token":{}}` or `{"delta":true}`: the JSON parser serves the
 * console's routes too) is a 400 naming it.
 */
@Injectable()
export class ConsoleFields implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type !== 'body' && metadata.type !== 'query') return value;
    if (value === undefined || value === null) return metadata.data ? undefined : {};
    if (metadata.data) return this.one(metadata.data, value);
    if (typeof value !== 'object' || Array.isArray(value)) throw AppError.invalid([{ field: metadata.type, message: `the ${metadata.type} must be a form` }]);
    for (const [field, given] of Object.entries(value)) this.one(field, given);
    return value;
  }

  private one(field: string, value: unknown): unknown {
    if (Array.isArray(value)) throw AppError.invalid([{ field, message: `${field} is given more than once` }]);
    if (typeof value !== 'string') throw AppError.invalid([{ field, message: `${field} must be a string` }]);
    return value;
  }
}

/**
 * A controller of console pages at /console/<path>: kept out of the API's
 * OpenAPI, every route behind ConsoleAccessGuard (so a route added here is
 * closed unless marked @OpenConsoleRoute), and every field read once.
 */
export function ConsolePages(path?: string): ClassDecorator {
  return applyDecorators(
    ApiExcludeController(),
    Controller(path ? `console/${path}` : 'console'),
    UseGuards(ConsoleAccessGuard),
    UseFilters(ConsoleRefusalFilter),
    UsePipes(ConsoleFields),
  );
}
