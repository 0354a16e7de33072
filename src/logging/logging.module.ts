import { type DynamicModule, Global, Module } from '@nestjs/common';
import type { Logger } from 'pino';

/** The pino logger, for code that writes structured lines of its own (one per delivery). */
export const PINO_LOGGER = Symbol('PINO_LOGGER');

@Global()
@Module({})
export class LoggingModule {
  static forRoot(logger: Logger): DynamicModule {
    return { module: LoggingModule, providers: [{ provide: PINO_LOGGER, useValue: logger }], exports: [PINO_LOGGER] };
  }
}
