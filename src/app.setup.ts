import { readFileSync } from 'node:fs';
import { Logger, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError } from 'fastify';
import { AppModule } from './app.module.js';
import { AllExceptionsFilter } from './common/all-exceptions.filter.js';
import { AppError } from './common/app-error.js';
import { clientKey } from './common/rate-limit.guard.js';
import { flattenValidationErrors } from './common/validation.js';
import { byteSizeOf } from './config/variable-parsers.js';
import type { Configuration } from './configuration.js';
import { setupOpenApi } from './docs/openapi.js';
import { BODY_RULES, type BodyRules, RequestBodies } from './http/request-body.js';
import { OpenConnections } from './http/connections.js';
import { clientAddressOf, type HttpReply, type HttpRequest, routeOf } from './http/http.js';
import { answerClientError, MAX_PARAM_LENGTH, securityHeaders } from './http/server-options.js';
import { createLogger, NestPinoLogger } from './logging/logger.js';
import { requestIdOf } from './logging/request-id.js';

/** Node's own defaults, which Fastify would otherwise turn off or lengthen. */
const REQUEST_TIMEOUT_MS = 300_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;

interface StopState {
  stopping: boolean;
  bodies: RequestBodies;
  connections: OpenConnections;
}

const stopStates = new WeakMap<NestFastifyApplication, StopState>();

/**
 * Begins a graceful stop's first half: answers from now on close their
 * connections, and idle keep-alive connections are closed (now, and until
 * the server has closed); a body still arriving gets BODY_RULES.stopGraceMs
 * to arrive, then is answered 503; after that grace, connections with no
 * request being answered (a client that sent half of its headers, or over
 * TLS one still in its handshake) are cut.
 * So `app.close()` finishes once the requests in flight have been answered.
 */
export function drainConnections(app: NestFastifyApplication, stopGraceMs = BODY_RULES.stopGraceMs): void {
  const state = stopStates.get(app);
  if (state) {
    state.stopping = true;
    state.bodies.stop();
    setTimeout(() => state.connections.closeThoseWithoutRequest(), stopGraceMs).unref();
  }
  const server = app.getHttpServer() as { closeIdleConnections?: () => void };
  server.closeIdleConnections?.();
  setInterval(() => server.closeIdleConnections?.(), 100).unref();
}

/**
 * Builds the HTTP application. Shared by main.ts and the tests, so that what
 * is tested is what runs: the same parsers, validation and error mapping.
 */
export async function createApp(configuration: Configuration, bodyRules: BodyRules = BODY_RULES): Promise<NestFastifyApplication> {
  const { config } = configuration;
  const logger = createLogger(config);
  const errors = new AllExceptionsFilter(logger);
  const bodies = new RequestBodies({ webhooks: config.bodyLimit, console: byteSizeOf('10kb'), json: byteSizeOf('100kb') }, bodyRules);
  const headers = securityHeaders({
    // Over plain HTTP, upgrade-insecure-requests would send the /docs page's own scripts to https and blank it.
    contentSecurityPolicy: { directives: { upgradeInsecureRequests: config.tls ? [] : null } },
  });
  // While stopping, every answer closes its connection, so keep-alive clients cannot hold the stop open.
  const state = { stopping: false };
  const edgeHeaders = (request: HttpRequest, reply: HttpReply) => {
    for (const [name, value] of headers) reply.header(name, value);
    reply.header('x-request-id', request.id);
    if (state.stopping) reply.header('connection', 'close');
  };
  const adapter = new FastifyAdapter({
    // HTTPS straight from the service when TLS_CERT_FILE and TLS_KEY_FILE are set.
    ...(config.tls ? { https: { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) } } : {}),
    // Which x-forwarded-for to believe for the client address (rate limits, allowed addresses).
    trustProxy: config.trustProxy.setting === false ? false : config.trustProxy.trusts,
    genReqId: requestIdOf,
    requestIdHeader: false,
    requestTimeout: REQUEST_TIMEOUT_MS,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    // A request on a kept-alive connection while stopping is still answered (with connection: close).
    return503OnClosing: false,
    // Paths as the contract writes them (lowercase), with or without a trailing slash.
    routerOptions: { caseSensitive: true, ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: (error: FastifyError, request: HttpRequest, reply: HttpReply) => {
      edgeHeaders(request, reply);
      errors.respond(request, reply, error);
    },
    clientErrorHandler: answerClientError,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(configuration, logger), adapter, {
    // Every body goes through `bodies` (below): webhooks need their exact bytes.
    bodyParser: false,
    // Start-up errors reach main.ts, which reports them in one line.
    abortOnError: false,
    logger: new NestPinoLogger(logger),
  });
  announceConfiguration(configuration);
  stopStates.set(app, Object.assign(state, { bodies, connections: new OpenConnections(app.getHttpServer()) }));
  const fastify = app.getHttpAdapter().getInstance();
  fastify.removeAllContentTypeParsers();
  // A body holds its share of the budget until its answer is sent.
  const responses = new WeakMap<object, HttpReply['raw']>();
  fastify.addContentTypeParser('*', (request, payload, done) =>
    bodies.parse(routeOf(request), payload, done, { address: clientKey(clientAddressOf(request)), response: responses.get(request.raw) }),
  );
  fastify.addHook('onRequest', (request, reply, done) => {
    responses.set(request.raw, reply.raw);
    edgeHeaders(request, reply);
    done();
  });
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

function announceConfiguration({ config, sources }: Configuration): void {
  const logger = new Logger('Config');
  for (const source of sources.values()) {
    const path = source.name === 'default' ? '/webhooks' : `/webhooks/${source.name}`;
    if (source.generatedSecret) {
      logger.warn(
        `WEBHOOK_SECRET is not set: POST ${path} verifies with a generated development secret: ${source.secrets[0]} ` +
          '(set WEBHOOK_SECRET; NODE_ENV=production refuses to start without it)',
      );
    } else {
      const from = source.allowedIps ? `, from ${source.allowedIps.entries.join(', ')} only` : '';
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
      `management ${config.adminRateLimit || 'off'} a minute; trust proxy: ${String(config.trustProxy.setting)}`,
  );
}
