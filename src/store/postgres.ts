import { Pool, types as pgTypes, type PoolClient, type PoolConfig } from 'pg';
import { DatabaseUnavailableError } from '../errors';
import type { Db, Queryable, QueryResult } from './db';

/**
 * PostgreSQL through a pg connection pool. Counts (int8) and numerics come back as
 * JavaScript numbers, as they do from PGlite: counts fit in 2^53, sums are doubles.
 */
const parseNumber = (value: string): number => Number(value);
const typeParsers: PoolConfig['types'] = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === pgTypes.builtins.INT8 || oid === pgTypes.builtins.NUMERIC) return parseNumber;
    return pgTypes.getTypeParser(oid, format as 'text');
  }) as NonNullable<PoolConfig['types']>['getTypeParser'],
};

/** Errors that mean "the server is not there", not "your SQL is wrong". */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004']);

export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | null;
  if (!e) return false;
  if (e.code && CONNECTION_CODES.has(e.code)) return true;
  return /Connection terminated|connection timeout|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(e.message ?? '');
}

function wrap(err: unknown): never {
  throw isConnectionError(err) ? new DatabaseUnavailableError(err) : err;
}

export function connectPostgres(connectionString: string, options: { max?: number } = {}): Db {
  const pool = new Pool({
    connectionString,
    max: options.max ?? 10,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30000,
    types: typeParsers,
  });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on('error', () => undefined);

  const runOn = async <T>(target: Pool | PoolClient, sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> => {
    try {
      const res = await target.query(sql, params as unknown[]);
      // A script of several statements answers with one result per statement.
      if (Array.isArray(res)) return { rows: [], rowCount: 0 };
      return { rows: res.rows as T[], rowCount: res.rowCount ?? res.rows.length };
    } catch (err) {
      return wrap(err);
    }
  };

  return {
    backend: 'postgres',
    query: <T>(sql: string, params?: readonly unknown[]) => runOn<T>(pool, sql, params),
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      let client: PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        return wrap(err);
      }
      const tx: Queryable = {
        query: <R>(sql: string, params?: readonly unknown[]) => runOn<R>(client, sql, params),
        exec: async (sql: string) => void (await runOn(client, sql)),
      };
      let broken = false;
      try {
        await client.query('BEGIN');
        const result = await fn(tx);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true;
        }
        return wrap(err);
      } finally {
        client.release(broken);
      }
    },
    exec: async (sql: string) => void (await runOn(pool, sql)),
    async close() {
      await pool.end();
    },
  };
}
