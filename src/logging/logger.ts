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
  return pino(options, stdoutLines);
}

/** Above this many characters waiting, lines are written at once rather than at the end of the tick. */
const BATCH_CHARS = 64 * 1024;

/**
 * JSON lines written together, once per turn of the event loop: stdout to a
 * file or a pipe is a blocking write(2) per call, and a batch of deliveries
 * committed together logs its lines in the same turn, so they cost one
 * system call instead of one each. Lines wait at most until the loop's next
 * check phase (or BATCH_CHARS); whatever waits is written when the process
 * exits, by process.exit or an uncaught error. Only a kill -9 can lose a
 * line: those of the last turn.
 */
export class LineBatcher {
  private pending: string[] = [];
  private size = 0;
  private scheduled = false;

  constructor(private readonly out: { write(text: string): unknown }) {}

  write(line: string): void {
    this.pending.push(line);
    this.size += line.length;
    if (this.size >= BATCH_CHARS) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const text = this.pending.length === 1 ? this.pending[0] : this.pending.join('');
    this.pending = [];
    this.size = 0;
    this.out.write(text);
  }
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

/** The one batcher of stdout, shared by every logger of the process (a test runs many apps), written out at exit. */
const stdoutLines = new LineBatcher(process.stdout);
process.once('exit', () => stdoutLines.flush());
