import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.setup.js';
import { AppConfig, ConfigError } from './config/app-config.js';

async function main(): Promise<void> {
  const config = AppConfig.fromEnv();
  const app = await createApp(config);
  await app.listen(config.port);
  const { port } = app.getHttpServer().address() as { port: number };
  new Logger('Main').log(`shelfsync listening on port ${port}`);
}

main().catch((error: unknown) => {
  // One line that says why, instead of a stack: a bad variable, or a database that is not there.
  const reason = error instanceof ConfigError ? error.message : error instanceof Error ? error.message : String(error);
  console.error(`shelfsync cannot start: ${reason}`);
  process.exit(1);
});
