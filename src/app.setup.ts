import { readFileSync } from 'node:fs';
import { Logger, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import helmet from 'helmet';
import { AppModule } from './app.module.js';
import { AllExceptionsFilter } from './common/all-exceptions.filter.js';
import { AppError } from './common/app-error.js';
import { flattenValidationErrors } from './common/validation.js';
import type { AppConfig } from './config/app-config.js';
import { setupOpenApi } from './docs/openapi.js';
import { createLogger, NestPinoLogger } from './logging/logger.js';
import { assignRequestId } from './logging/request-id.js';

const MANAGEMENT_BODY_LIMIT = '100kb';

/** Turns a body-parser failure (too large, unreadable, bad JSON) into the service's JSON error. */
function parserWithJsonErrors(parser: RequestHandler, limit: string, errors: AllExceptionsFilter): RequestHandler {
  return (request: Request, response: Response, next: NextFunction) =>
    parser(request, response, (error?: unknown) => {
      if (!error) return next();
      const { status, type } = error as { status?: number; type?: string };
      const appError =
        status === 413
          ? new AppError(413, 'payload_too_large', `request body exceeds the limit of ${limit}`)
          : type === 'entity.parse.failed'
            ? AppError.invalid([{ field: 'body', message: 'body is not valid JSON' }])
            : status === 415
              ? new AppError(415, 'unsupported_media_type', (error as Error).message)
              : new AppError(status && status < 500 ? status : 400, 'bad_request', 'the request body could not be read');
      errors.respond(request, response, appError);
    });
}

const stopStates = new WeakMap<NestExpressApplication, { stopping: boolean }>();

/**
 * Begins a graceful stop's first half: answers from now on close their
 * connections, and idle keep-alive connections are closed (now, and until
 * the server has closed), so that `app.close()` finishes once the requests
 * in flight have been answered.
 */
export function drainConnections(app: NestExpressApplication): void {
  const state = stopStates.get(app);
  if (state) state.stopping = true;
  const server = app.getHttpServer() as { closeIdleConnections?: () => void };
  server.closeIdleConnections?.();
  setInterval(() => server.closeIdleConnections?.(), 100).unref();
}

/**
 * Builds the HTTP application. Shared by main.ts and the tests, so that what
 * is tested is what runs: the same parsers, validation and error mapping.
 */
export async function createApp(config: AppConfig): Promise<NestExpressApplication> {
  const logger = createLogger(config);
  const errors = new AllExceptionsFilter(logger);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, logger), {
    // HTTPS straight from the service when TLS_CERT_FILE and TLS_KEY_FILE are set.
    httpsOptions: config.tls
      ? { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) }
      : undefined,
    // Webhooks need their exact bytes: the parsers are registered below.
    bodyParser: false,
    // Start-up errors reach main.ts, which reports them in one line.
    abortOnError: false,
    logger: new NestPinoLogger(logger),
  });
  announceConfiguration(config);
  app.disable('x-powered-by');
  // While stopping, every answer closes its connection, so keep-alive clients cannot hold the stop open.
  const state = { stopping: false };
  stopStates.set(app, state);
  app.use((_request: Request, response: Response, next: NextFunction) => {
    if (state.stopping) response.setHeader('connection', 'close');
    next();
  });
  app.use(assignRequestId);
  // Which x-forwarded-for to believe for the client address (rate limits, allowed addresses).
  app.set('trust proxy', config.trustProxy);
  app.use(
    helmet({
      // Over plain HTTP, upgrade-insecure-requests would send the /docs page's own scripts to https and blank it.
      contentSecurityPolicy: { directives: { upgradeInsecureRequests: config.tls ? [] : null } },
    }),
  );
  // Webhook bodies stay raw bytes whatever their content type: the signature is over them.
  app.use(
    '/webhooks',
    // inflate: false — the signature covers the bytes on the wire, so compressed bodies are refused (415).
    parserWithJsonErrors(express.raw({ type: () => true, limit: config.bodyLimit, inflate: false }), config.bodyLimit, errors),
  );
  // The console's forms.
  app.use('/console', parserWithJsonErrors(express.urlencoded({ extended: false, limit: '10kb' }), '10kb', errors));
  app.use(parserWithJsonErrors(express.json({ limit: MANAGEMENT_BODY_LIMIT }), MANAGEMENT_BODY_LIMIT, errors));
  app.useGlobalFilters(errors);
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      stopAtFirstError: true,
      exceptionFactory: (errors) => AppError.invalid(flattenValidationErrors(errors)),
    }),
  );
  setupOpenApi(app);
  return app;
}

function announceConfiguration(config: AppConfig): void {
  const logger = new Logger('Config');
  for (const source of config.sources.values()) {
    const path = source.name === 'default' ? '/webhooks' : `/webhooks/${source.name}`;
    if (source.generatedSecret) {
      logger.warn(
        `WEBHOOK_SECRET is not set: POST ${path} verifies with a generated development secret: ${source.secrets[0]} ` +
          '(set WEBHOOK_SECRET; NODE_ENV=production refuses to start without it)',
      );
    } else {
      const from = source.allowedIps ? `, from ${source.allowedIps.join(', ')} only` : '';
      if (source.schemes.includes('hmac-sha256') && source.schemes.length > 1) {
        logger.warn(
          `POST ${path} accepts hmac-sha256 beside a timestamped scheme with the same secrets: ` +
            'hmac-sha256 has no timestamp, so such a source loses the timestamped scheme\'s protection against replays',
        );
      }
      logger.log(`POST ${path}: ${source.schemes.join(', ')}, ${source.secrets.length} secret(s)${from}`);
    }
  }
  if (!config.adminToken) logger.warn('ADMIN_TOKEN is not set: the management API answers 401');
  logger.log(
    `${config.tls ? 'HTTPS' : 'plain HTTP'}; rate limits per address: webhooks ${config.webhookRateLimit || 'off'}, ` +
      `management ${config.adminRateLimit || 'off'} a minute; trust proxy: ${String(config.trustProxy)}`,
  );
}
