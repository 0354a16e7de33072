import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Logger as PinoLogger } from 'pino';
import { type HttpReply, type HttpRequest, isWebhookRoute, pathOf, routeOf } from '../http/http.js';
import { fastifyRefusalOf } from '../http/server-options.js';
import { isTransientDatabaseError } from '../database/pg-errors.js';
import { AppError } from './app-error.js';

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  errors?: { field: string; message: string }[];
}

const CODE_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
};

/**
 * Every error leaves as JSON: AppErrors with their code, a lost database as 503
 * (so a gateway retries), anything unexpected as a 500 whose details stay in the log.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  constructor(private readonly log?: PinoLogger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    this.respond(http.getRequest<HttpRequest | undefined>(), http.getResponse<HttpReply>(), exception);
  }

  /** Writes `exception` as the JSON error; also for errors raised before Nest routes a request (body parsers). */
  respond(request: HttpRequest | undefined, response: HttpReply, exception: unknown): void {
    const error = toAppError(exception);
    if (error.status >= 500 && error.code === 'internal_error') {
      this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    }
    // Verified deliveries log their own line, with their outcome; this one is for those turned away before
    // (a 503 for a full body budget or a stop included).
    const verified = Boolean((request as { verifiedDelivery?: unknown } | undefined)?.verifiedDelivery);
    if (request && isWebhookRoute(routeOf(request)) && !verified && error.code !== 'internal_error' && this.log) {
      this.log.warn(
        { request_id: request.id, path: pathOf(request), status: error.status, error: error.code },
        'delivery refused',
      );
    }
    if (response.sent || response.raw.headersSent) return;
    for (const [name, value] of Object.entries(error.headers ?? {})) response.header(name, value);
    const body: ErrorBody = { statusCode: error.status, error: error.code, message: error.message };
    if (error.errors) body.errors = error.errors;
    void response.code(error.status).send(body);
  }
}

export function toAppError(exception: unknown): AppError {
  if (exception instanceof AppError) return exception;
  // Nest hands Fastify's 4xx refusals on wrapped in an HttpException; frameworkErrors hands them raw.
  const refusal = fastifyRefusalOf(exception instanceof HttpException ? exception.cause : exception);
  if (refusal) return refusal;
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    const body = typeof response === 'string' ? { message: response } : (response as { message?: unknown });
    const message = Array.isArray(body.message)
      ? body.message.join('; ')
      : typeof body.message === 'string'
        ? body.message
        : exception.message;
    return new AppError(status, CODE_BY_STATUS[status] ?? (status >= 500 ? 'internal_error' : 'bad_request'), message);
  }
  if (isTransientDatabaseError(exception)) return AppError.databaseUnavailable();
  return new AppError(500, 'internal_error', 'internal error');
}
