import { Global, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config.js';
import { dataSourceOptions } from './data-source-options.js';
import { resolveDatabaseUrl } from './database-url.js';
import { EmbeddedServerShutdown } from './embedded-server-shutdown.js';
import { MigrationsOnStart } from './migrations-on-start.js';
import { TransactionRunner } from './transaction-runner.js';

const logger = new Logger('Database');

@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: async (config: AppConfig) => {
        const { url } = await resolveDatabaseUrl(config, (line) => logger.log(line));
        return {
          ...dataSourceOptions(url, { poolSize: config.dbPoolSize, connectTimeoutMs: config.dbConnectTimeoutMs }),
          // A database that is not there at start is reported quickly, not after ten retries.
          retryAttempts: 2,
          retryDelay: 1_000,
        };
      },
    }),
  ],
  providers: [TransactionRunner, MigrationsOnStart, EmbeddedServerShutdown],
  exports: [TransactionRunner],
})
export class DatabaseModule {}
