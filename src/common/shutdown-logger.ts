import { type BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';

/** Says when and why the service stops, before requests in flight are finished and connections closed. */
@Injectable()
export class ShutdownLogger implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Main');

  beforeApplicationShutdown(): void {
    this.logger.log('finishing requests in flight, then closing the database pool');
  }
}
