/**
 * The data-access seam: one small interface that both backends implement, so that
 * nothing above src/store knows whether PostgreSQL (pg) or the embedded PGlite runs.
 * Both speak the same SQL: the same migrations, the same queries, `$1` parameters.
 */

export type Row = Record<string, unknown>;

export interface QueryResult<T> {
  rows: T[];
  /** Rows returned by a SELECT or RETURNING, or rows touched by INSERT / UPDATE / DELETE. */
  rowCount: number;
}

export interface Queryable {
  query<T = Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly backend: 'postgres' | 'pglite';
  /** Runs fn inside BEGIN / COMMIT; any throw rolls back. Use only `tx` inside fn. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Postgres SQLSTATE of a driver error, when there is one. */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export const UNIQUE_VIOLATION = '23505';
