import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource, type QueryRunner } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source-options.js';
import { runMigrations } from '../src/database/migrate.js';
import { queryRows } from '../src/database/query-rows.js';
import { scratchDatabaseUrl } from './support/scratch-database.js';

let db: DataSource;

beforeAll(async () => {
  db = new DataSource(dataSourceOptions(scratchDatabaseUrl(), { poolSize: 2, connectTimeoutMs: 10_000 }));
  await db.initialize();
  await runMigrations(db, () => undefined);
});

afterAll(async () => {
  await db?.destroy();
});

/**
 * The entities are TypeORM's picture of the schema that migrations/ owns,
 * checked against a migrated database the way a TypeORM user would: asked
 * what it would change to make the database match the entities (what
 * `typeorm migration:generate` writes), TypeORM must answer nothing.
 */
describe('the TypeORM entities', () => {
  it('match the migrated schema exactly: a generated migration comes out empty', async () => {
    const { upQueries } = await oneQueryAtATime(db, () => db.driver.createSchemaBuilder().log());
    expect(upQueries.map((q) => q.query)).toEqual([]);
  });

  /**
   * TypeORM's diff knows an index, a check or a unique constraint by its
   * name (and an index's columns as a set), and a generated column by the
   * text it recorded in typeorm_metadata: a wrong predicate, column order or
   * expression would pass it. Each one the entities declare is built here on
   * an empty copy of its table and compared with the real one as PostgreSQL
   * itself prints them.
   */
  it('declare what the schema holds where the diff compares names only: index columns and predicates, checks, unique constraints, generated columns', async () => {
    const runner = db.createQueryRunner();
    const differences: string[] = [];
    await runner.startTransaction();
    try {
      for (const entity of db.entityMetadatas) {
        const table = entity.tableName;
        const probe = `probe_${table}`;
        // Columns and their types only: no index, constraint or generation expression is copied.
        await runner.query(`CREATE TEMP TABLE ${probe} (LIKE ${table})`);
        const compare = (kind: string, name: string, real: string | undefined, declared: string | undefined): void => {
          if (real !== declared) differences.push(`${table} ${kind} ${name}: the schema has ${real ?? 'nothing'}, the entity declares ${declared}`);
        };
        for (const index of entity.indices) {
          const columns = index.columns.map((c) => `"${c.databaseName}"`).join(', ');
          await runner.query(
            `CREATE ${index.isUnique ? 'UNIQUE ' : ''}INDEX "probe_${index.name}" ON ${probe} (${columns})${index.where ? ` WHERE ${index.where}` : ''}`,
          );
          compare('index', index.name, await indexDefinition(runner, table, index.name), await indexDefinition(runner, probe, `probe_${index.name}`));
        }
        const constraints = [
          ...entity.checks.map((c) => ({ name: c.name, definition: `CHECK (${c.expression})` })),
          ...entity.uniques.map((u) => ({ name: u.name, definition: `UNIQUE (${u.columns.map((c) => `"${c.databaseName}"`).join(', ')})` })),
        ];
        for (const constraint of constraints) {
          await runner.query(`ALTER TABLE ${probe} ADD CONSTRAINT "probe_${constraint.name}" ${constraint.definition}`);
          compare(
            'constraint',
            constraint.name,
            await constraintDefinition(runner, table, constraint.name),
            await constraintDefinition(runner, probe, `probe_${constraint.name}`),
          );
        }
        for (const column of entity.columns.filter((c) => c.generatedType)) {
          const type = db.driver.createFullType({ type: db.driver.normalizeType(column) } as never);
          await runner.query(`ALTER TABLE ${probe} ADD COLUMN "probe_${column.databaseName}" ${type} GENERATED ALWAYS AS (${column.asExpression}) STORED`);
          compare(
            'generated column',
            column.databaseName,
            await generationExpression(runner, table, column.databaseName),
            await generationExpression(runner, probe, `probe_${column.databaseName}`),
          );
        }
      }
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
    expect(differences).toEqual([]);
  });
});

describe('queryRows', () => {
  const sku = (name: string) => `query-rows-${name}`;

  it('answers the rows of every kind of statement, an UPDATE or DELETE with RETURNING as a SELECT', async () => {
    await db.transaction(async (em) => {
      expect(await queryRows(em, `INSERT INTO stock (sku, on_hand) VALUES ($1, 5), ($2, 7) RETURNING sku, on_hand`, [sku('a'), sku('b')])).toEqual([
        { sku: sku('a'), on_hand: 5 },
        { sku: sku('b'), on_hand: 7 },
      ]);
      expect(await queryRows(em, `SELECT sku FROM stock WHERE sku LIKE 'query-rows-%' ORDER BY sku`)).toEqual([{ sku: sku('a') }, { sku: sku('b') }]);
      expect(await queryRows(em, `UPDATE stock SET reserved = 1 WHERE sku = $1 RETURNING sku, available`, [sku('a')])).toEqual([{ sku: sku('a'), available: 4 }]);
      expect(await queryRows(em, `UPDATE stock SET reserved = 1 WHERE sku = $1 RETURNING sku`, ['no-such-sku'])).toEqual([]);
      expect(
        await queryRows(em, `WITH emptied AS (UPDATE stock SET reserved = 0 WHERE sku LIKE 'query-rows-%' RETURNING sku) SELECT count(*)::int AS n FROM emptied`),
      ).toEqual([{ n: 2 }]);
      expect(await queryRows(em, `DELETE FROM stock WHERE sku = $1 RETURNING sku`, [sku('b')])).toEqual([{ sku: sku('b') }]);
      expect(await queryRows(em, `UPDATE stock SET reserved = 0 WHERE sku = $1`, [sku('a')])).toEqual([]);
    });
  });

  it('runs in the transaction of the manager it is given, and on a connection of its own without one', async () => {
    await expect(
      db.transaction(async (em) => {
        await queryRows(em, `INSERT INTO stock (sku) VALUES ($1)`, [sku('rolled-back')]);
        expect(await queryRows(em, `SELECT sku FROM stock WHERE sku = $1`, [sku('rolled-back')])).toHaveLength(1);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await queryRows(db.manager, `SELECT sku FROM stock WHERE sku = $1`, [sku('rolled-back')])).toEqual([]);
    expect(await queryRows(db.manager, `DELETE FROM stock WHERE sku LIKE 'query-rows-%' RETURNING sku`)).toEqual([{ sku: sku('a') }]);
  });
});

/**
 * Runs `work` with the data source's query runners sending one query at a
 * time. TypeORM's schema reader looks up the enum types of a table's columns
 * concurrently on its one client, which pg 8 answers with a
 * DeprecationWarning on stderr; queued here, they leave a passing run quiet.
 */
async function oneQueryAtATime<T>(db: DataSource, work: () => Promise<T>): Promise<T> {
  const createQueryRunner = db.createQueryRunner.bind(db);
  db.createQueryRunner = (...args) => {
    const runner = createQueryRunner(...args);
    const query = runner.query.bind(runner) as (...queryArgs: unknown[]) => Promise<unknown>;
    let previous: Promise<unknown> = Promise.resolve();
    runner.query = ((...queryArgs: unknown[]) => {
      const next = previous.then(() => query(...queryArgs));
      previous = next.catch(() => undefined);
      return next;
    }) as QueryRunner['query'];
    return runner;
  };
  try {
    return await work();
  } finally {
    db.createQueryRunner = createQueryRunner;
  }
}

/** The index as PostgreSQL prints it, from USING on (its name and table's left out). */
async function indexDefinition(runner: QueryRunner, table: string, index: string): Promise<string | undefined> {
  const rows: { definition: string }[] = await runner.query(
    `SELECT (CASE WHEN x.indisunique THEN 'UNIQUE ' ELSE '' END) || substring(pg_get_indexdef(x.indexrelid) FROM ' USING .*$') AS definition
       FROM pg_index x WHERE x.indrelid = $1::regclass AND x.indexrelid = (SELECT oid FROM pg_class WHERE relname = $2 AND relnamespace = (SELECT relnamespace FROM pg_class WHERE oid = $1::regclass))`,
    [table, index],
  );
  return rows[0]?.definition;
}

async function constraintDefinition(runner: QueryRunner, table: string, constraint: string): Promise<string | undefined> {
  const rows: { definition: string }[] = await runner.query(
    `SELECT pg_get_constraintdef(oid) AS definition FROM pg_constraint WHERE conrelid = $1::regclass AND conname = $2`,
    [table, constraint],
  );
  return rows[0]?.definition;
}

async function generationExpression(runner: QueryRunner, table: string, column: string): Promise<string | undefined> {
  const rows: { definition: string }[] = await runner.query(
    `SELECT pg_get_expr(d.adbin, d.adrelid) AS definition
       FROM pg_attribute a JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid = $1::regclass AND a.attname = $2 AND a.attgenerated = 's'`,
    [table, column],
  );
  return rows[0]?.definition;
}
