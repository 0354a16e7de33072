import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { announceConfiguration, createApp } from './app.setup.js';
import { AppConfig, ConfigError } from './config/app-config.js';

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = AppConfig.fromEnv();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`shelfsync cannot start: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  announceConfiguration(config);
  const app = await createApp(config);
  await app.listen(config.port);
  new Logger('Main').log(`shelfsync listening on port ${config.port}`);
}

await main();
