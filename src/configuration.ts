import { AppConfig } from './config/app-config.js';
import { Environment } from './config/environment.js';
import { WebhookSources } from './webhooks/webhook-sources.js';

/** Everything the environment configures for the service. */
export interface Configuration {
  config: AppConfig;
  sources: WebhookSources;
}

/**
 * Reads and checks the whole environment at boot: the service's variables
 * (src/config/app-config.ts) and the webhook sources'
 * (src/webhooks/webhook-sources.ts), failing with one ConfigError that names
 * every problem of both.
 */
export function readConfiguration(env: NodeJS.ProcessEnv = process.env): Configuration {
  const environment = new Environment(env);
  const config = AppConfig.read(environment);
  const sources = WebhookSources.read(environment, config);
  environment.check();
  return { config, sources };
}
