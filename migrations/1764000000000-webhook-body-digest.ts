import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The same bytes delivered again are the same event, whatever event id an
 * unsigned header claims for them: a unique digest per source makes a
 * replayed capture a duplicate instead of a new event that takes a future id.
 */
export class WebhookBodyDigest1764000000000 implements MigrationInterface {
  name = 'WebhookBodyDigest1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE webhook_events ADD COLUMN body_sha256 bytea`);
    await q.query(`UPDATE webhook_events SET body_sha256 = sha256(raw_body)`);
    // Deliveries kept before this migration may repeat bytes under different ids; the oldest keeps the digest.
    await q.query(`
      UPDATE webhook_events e SET body_sha256 = NULL
        FROM webhook_events first
       WHERE first.source = e.source AND first.body_sha256 = e.body_sha256 AND first.id < e.id`);
    await q.query(`CREATE UNIQUE INDEX webhook_events_source_body_key ON webhook_events (source, body_sha256)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX webhook_events_source_body_key`);
    await q.query(`ALTER TABLE webhook_events DROP COLUMN body_sha256`);
  }
}
