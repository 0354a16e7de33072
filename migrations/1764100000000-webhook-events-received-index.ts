import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The console's chart and time filter read deliveries by arrival time: an index instead of a scan of the log. */
export class WebhookEventsReceivedIndex1764100000000 implements MigrationInterface {
  name = 'WebhookEventsReceivedIndex1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX webhook_events_received_at_idx ON webhook_events (received_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX webhook_events_received_at_idx`);
  }
}
