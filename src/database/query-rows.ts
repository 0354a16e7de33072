import type { EntityManager } from 'typeorm';

/**
 * The rows a raw SQL statement answers, whatever kind of statement it is.
 * TypeORM's `EntityManager.query` answers a SELECT or an INSERT with its rows,
 * but an UPDATE or a DELETE (a WITH ending in one included) with
 * `[rows, affected]`; this asks the query runner for its structured result
 * instead, so no caller unpacks either shape by hand. Runs in `em`'s
 * transaction when it has one.
 */
export async function queryRows<T>(em: EntityManager, sql: string, parameters: unknown[] = []): Promise<T[]> {
  const runner = em.queryRunner ?? em.dataSource.createQueryRunner();
  try {
    const result = await runner.query(sql, parameters, true);
    return result.records as T[];
  } finally {
    if (runner !== em.queryRunner) await runner.release();
  }
}
