import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * TypeORM does not read a generated column's expression back from
 * PostgreSQL (which reformats it): it compares the entity's `asExpression`
 * with the text it recorded in its own table, typeorm_metadata, when it
 * wrote the column. The generated columns of migration 1764300000000 were
 * written by hand, so nothing was recorded and TypeORM's schema diff would
 * drop and add them again. This records them as TypeORM would have, under
 * the current database's name, which is how TypeORM looks them up (a
 * database restored under another name needs these rows' `database` set to
 * it, for the diff's sake only: nothing at run time reads them).
 *
 * typeorm_metadata is TypeORM's own table, which its migration runner
 * creates before running migrations when an entity has a generated column;
 * it is created here too (the same definition) for a runner that does not.
 */
export class GeneratedColumnExpressions1764600000000 implements MigrationInterface {
  name = 'GeneratedColumnExpressions1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE IF NOT EXISTS typeorm_metadata (
        "type"     varchar NOT NULL,
        "database" varchar,
        "schema"   varchar,
        "table"    varchar,
        "name"     varchar,
        "value"    text
      )`);
    await q.query(`
      INSERT INTO typeorm_metadata ("database", "schema", "table", "type", "name", "value")
      SELECT current_database(), current_schema(), 'stock', 'GENERATED_COLUMN', c.name, c.value
        FROM (VALUES ('available', 'on_hand - reserved'),
                     ('low_stock', 'low_stock_threshold IS NOT NULL AND on_hand - reserved <= low_stock_threshold')) AS c(name, value)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `DELETE FROM typeorm_metadata WHERE "type" = 'GENERATED_COLUMN' AND "table" = 'stock' AND "name" IN ('available', 'low_stock')`,
    );
  }
}
