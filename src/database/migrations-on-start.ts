import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { runMigrations } from './migrate.js';

/** Brings the schema up to date before the service accepts requests, unless MIGRATIONS_RUN=false. */
@Injectable()
export class MigrationsOnStart implements OnModuleInit {
  private readonly logger = new Logger('Migrations');

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.config.migrationsRun) {
      this.logger.log('MIGRATIONS_RUN=false: not running migrations');
      return;
    }
    await runMigrations(this.dataSource, (line) => this.logger.log(line));
  }
}
