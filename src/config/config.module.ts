import { DynamicModule, Global, Module } from '@nestjs/common';

@Global()
@Module({})
export class ConfigModule {
  /**
   * Each value read from the environment (AppConfig, WebhookSources),
   * injectable by its class. The configuration is validated before Nest
   * boots (main.ts), so a bad variable fails with one clear message.
   */
  static forRoot(...values: object[]): DynamicModule {
    const providers = values.map((value) => ({ provide: value.constructor, useValue: value }));
    return { module: ConfigModule, providers, exports: providers.map((p) => p.provide) };
  }
}
