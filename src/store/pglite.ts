import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import type { Db, Queryable, QueryResult } from './db';

/**
 * The embedded default: PostgreSQL compiled to WebAssembly, in this process, persisted in
 * a directory (./data by default). Same SQL as the server. PGlite is a single connection:
 * it queues queries itself and `transaction` holds the connection until COMMIT, so callers
 * must use the `tx` they are given inside a transaction.
 */
export interface PgliteOptions {
  /** A directory to persist to; omit for an in-memory database. */
  dataDir?: string;
}

const toResult = <T>(res: { rows: unknown[]; affectedRows?: number }): QueryResult<T> => ({
  rows: res.rows as T[],
  rowCount: res.rows.length > 0 ? res.rows.length : (res.affectedRows ?? 0),
});

export type PgliteDb = Db;

export async function openPglite(options: PgliteOptions = {}): Promise<PgliteDb> {
  const pg = new PGlite(options.dataDir, {
    parsers: { [pgliteTypes.NUMERIC]: (v: string) => Number(v), [pgliteTypes.INT8]: (v: string) => Number(v) },
  });
  await pg.waitReady;
  let closed = false;
  return {
    backend: 'pglite',
    async query<T>(sql: string, params?: readonly unknown[]) {
      return toResult<T>(await pg.query(sql, params as unknown[]));
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      return pg.transaction(async (t) =>
        fn({
          query: async <R>(sql: string, params?: readonly unknown[]) => toResult<R>(await t.query(sql, params as unknown[])),
          exec: async (sql: string) => void (await t.exec(sql)),
        }),
      );
    },
    async exec(sql: string) {
      await pg.exec(sql);
    },
    async close() {
      if (closed) return;
      closed = true;
      await pg.close();
    },
  };
}
