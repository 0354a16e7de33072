import { type DynamicModule, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Configuration } from './configuration.js';
import { LoggingModule } from './logging/logging.module.js';
import { ConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { ConsoleModule } from './console/console.module.js';
import { HealthModule } from './health/health.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { NotificationsModule } from './notifications/notifications.module.js';
import { APP_GUARD } from '@nestjs/core';
import { RateLimitGuard } from './common/rate-limit.guard.js';
import { ShutdownLogger } from './common/shutdown-logger.js';
import { InventoryModule } from './inventory/inventory.module.js';
import { OrdersModule } from './orders/orders.module.js';
import { OutboxModule } from './notifications/outbox.module.js';
import { WebhooksModule } from './webhooks/webhooks.module.js';

@Module({})
export class AppModule {
  static forRoot({ config, sources }: Configuration, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config, sources),
        LoggingModule.forRoot(logger),
        DatabaseModule,
        WebhooksModule,
        OrdersModule,
        InventoryModule,
        NotificationsModule,
        HealthModule,
        MetricsModule,
        ConsoleModule,
        OutboxModule,
      ],
      // Before every other guard: a flood is turned away before any work.
      providers: [{ provide: APP_GUARD, useClass: RateLimitGuard }, ShutdownLogger],
    };
  }
}
