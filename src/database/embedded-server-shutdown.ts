import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { embeddedServerInUse } from './database-url.js';

/**
 * Stops the embedded PostgreSQL this service is responsible for (it started
 * it, or adopted it after its first owner died) when the service stops; one
 * it joined belongs to a live process and is left running.
 */
@Injectable()
export class EmbeddedServerShutdown implements OnApplicationShutdown {
  async onApplicationShutdown(): Promise<void> {
    const embedded = embeddedServerInUse();
    if (embedded?.owned) await embedded.stop();
  }
}
