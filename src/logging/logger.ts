import type { LoggerService } from '@nestjs/common';
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { AppConfig } from '../config/app-config.js';

/**
 * The service's one logger: JSON lines (for a log pipeline) in production
 * and tests, readable lines in development (LOG_FORMAT=json|pretty overrides),
 * at LOG_LEVEL. Nothing logs request bodies; headers that carry credentials
 * are redacted wherever they would appear.
 */
export function createLogger(config: Pick<AppConfig, 'nodeEnv' | 'logLevel' | 'logFormat'>): Logger {
  const options = {
    level: config.logLevel,
    base: { service: 'shelfsync' },
    redact: { paths: ['*.authorization', '*.headers.authorization', '*.cookie', '*.headers.cookie'], censor: '[redacted]' },
  };
  // Through process.stdout (not straight to fd 1), so whoever runs the service, a test included, sees every line.
  if (config.logFormat === 'pretty') {
    const colorize = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
    return pino(options, pretty({ colorize, ignore: 'pid,hostname,service', destination: process.stdout, sync: true }));
  }
  return pino(options, process.stdout);
}

/** Nest's own messages (start-up, routes, errors) through the same logger, with their context. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    this.logger.info({ context }, String(message));
  }

  error(message: unknown, stackOrContext?: string, context?: string): void {
    const withStack = context !== undefined;
    this.logger.error({ context: withStack ? context : stackOrContext, stack: withStack ? stackOrContext : undefined }, String(message));
  }

  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }

  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }

  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }

  fatal(message: unknown, context?: string): void {
    this.logger.fatal({ context }, String(message));
  }
}
