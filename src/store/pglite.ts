import { Worker } from 'node:worker_threads';
import type { Db, Queryable, QueryResult } from './db';

/**
 * The embedded default: PostgreSQL compiled to WebAssembly, persisted in a directory
 * (./data by default). Same SQL as the server.
 *
 * PGlite runs in a worker thread of this process, behind the same `Db` seam: its CPU work
 * (parsing, planning, writing WAL and pages, ~25 to 35 µs per exposure row) no longer runs
 * on the thread that answers HTTP requests (issue 19). The worker owns the one PGlite
 * instance; the request thread sends it queries and gets rows back by message.
 *
 * PGlite is a single connection: it queues queries itself, and a transaction holds the
 * connection until COMMIT. The worker keeps that: `transaction` opens PGlite's own
 * transaction in the worker and holds it open while `fn` runs here; queries sent with the
 * transaction's id run inside it, every other query waits for it (PGlite's mutex), exactly
 * as in-process. A throw in `fn` rolls back. Callers must use the `tx` they are given.
 */
export interface PgliteOptions {
  /** A directory to persist to; omit for an in-memory database. */
  dataDir?: string;
}

export type PgliteDb = Db;

/**
 * The worker's code (CommonJS, evaluated by worker_threads): plain JavaScript so that it
 * runs the same from dist/ and from the TypeScript sources under ts-jest. PGlite is
 * required by the absolute path resolved here, not from the working directory.
 */
const WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const { PGlite, types } = require(workerData.pglite);

const pg = new PGlite(workerData.dataDir, {
  parsers: { [types.NUMERIC]: (v) => Number(v), [types.INT8]: (v) => Number(v) },
});
const toResult = (res) => ({ rows: res.rows, rowCount: res.rows.length > 0 ? res.rows.length : (res.affectedRows ?? 0) });
const toPlain = (err) => {
  const out = { message: err && err.message !== undefined ? String(err.message) : String(err), name: err && err.name };
  if (err && typeof err === 'object') {
    for (const k of Object.keys(err)) {
      const v = err[k];
      if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) out[k] = v;
    }
    if (typeof err.stack === 'string') out.stack = err.stack;
  }
  return out;
};
const reply = (id, result) => parentPort.postMessage({ id, ok: true, result });
const fail = (id, err) => parentPort.postMessage({ id, ok: false, error: toPlain(err) });

/** Open transactions: id -> { t: PGlite's transaction, finish(commit), done: promise }. */
const txs = new Map();
const ROLLBACK = Symbol('rollback');

async function handle(msg) {
  switch (msg.op) {
    case 'query': {
      const target = msg.tx === undefined ? pg : txs.get(msg.tx)?.t;
      if (!target) throw new Error('transaction ' + msg.tx + ' is not open');
      return toResult(await target.query(msg.sql, msg.params));
    }
    case 'exec': {
      const target = msg.tx === undefined ? pg : txs.get(msg.tx)?.t;
      if (!target) throw new Error('transaction ' + msg.tx + ' is not open');
      await target.exec(msg.sql);
      return undefined;
    }
    case 'begin': {
      let finish;
      const body = new Promise((resolve, reject) => {
        finish = (commit) => (commit ? resolve() : reject(ROLLBACK));
      });
      let opened;
      const started = new Promise((resolve) => (opened = resolve));
      const done = pg.transaction(async (t) => {
        txs.set(msg.id, { t, finish, done });
        opened(true);
        await body;
      });
      done.catch(() => undefined);
      // Either the transaction opens, or it fails before (then its error answers begin).
      const ok = await Promise.race([started, done.then(() => false)]);
      if (!ok) throw new Error('the transaction ended before it began');
      return msg.id;
    }
    case 'end': {
      const open = txs.get(msg.tx);
      if (!open) throw new Error('transaction ' + msg.tx + ' is not open');
      open.finish(msg.commit);
      try {
        await open.done;
      } catch (err) {
        if (err !== ROLLBACK) throw err;
      } finally {
        txs.delete(msg.tx);
      }
      return undefined;
    }
    case 'close':
      await pg.close();
      return undefined;
    default:
      throw new Error('unknown operation ' + msg.op);
  }
}

parentPort.on('message', (msg) => {
  handle(msg).then((result) => reply(msg.id, result), (err) => fail(msg.id, err));
});
pg.waitReady.then(() => parentPort.postMessage({ ready: true }), (err) => parentPort.postMessage({ ready: false, error: toPlain(err) }));
`;

type Op =
  | { op: 'query'; sql: string; params?: readonly unknown[]; tx?: number }
  | { op: 'exec'; sql: string; tx?: number }
  | { op: 'begin' }
  | { op: 'end'; tx: number; commit: boolean }
  | { op: 'close' };

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/** A driver error as the worker sent it: an Error with PGlite's fields (code = SQLSTATE, detail, ...). */
function revive(plain: Record<string, unknown>): Error {
  const err = new Error(String(plain.message));
  for (const [k, v] of Object.entries(plain)) if (k !== 'message' && k !== 'stack') (err as unknown as Record<string, unknown>)[k] = v;
  if (typeof plain.name === 'string') err.name = plain.name;
  return err;
}

export async function openPglite(options: PgliteOptions = {}): Promise<PgliteDb> {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { dataDir: options.dataDir, pglite: require.resolve('@electric-sql/pglite') },
  });
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let dead: Error | undefined;
  // The worker keeps the process alive only while a call waits for it: a forgotten close
  // must not hang a CLI, and a pending query must not let the process exit under it.
  worker.unref();
  const settle = (id: number) => {
    const p = pending.get(id);
    pending.delete(id);
    if (pending.size === 0) worker.unref();
    return p;
  };
  const failAll = (err: Error) => {
    dead ??= err;
    for (const id of [...pending.keys()]) settle(id)?.reject(err);
  };

  await new Promise<void>((resolve, reject) => {
    worker.ref();
    const onMessage = (msg: { ready?: boolean; error?: Record<string, unknown> }) => {
      if (msg.ready === undefined) return;
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.unref();
      if (msg.ready) resolve();
      else reject(revive(msg.error ?? { message: 'PGlite failed to start' }));
    };
    const onError = (err: Error) => {
      worker.off('message', onMessage);
      reject(err);
    };
    worker.on('message', onMessage);
    worker.once('error', onError);
  }).catch(async (err) => {
    await worker.terminate();
    throw err;
  });

  worker.on('message', (msg: { id?: number; ok?: boolean; result?: unknown; error?: Record<string, unknown> }) => {
    if (msg.id === undefined) return;
    const p = settle(msg.id);
    if (!p) return;
    if (msg.ok) p.resolve(msg.result);
    else p.reject(revive(msg.error ?? {}));
  });
  worker.on('error', (err) => failAll(err));
  worker.on('exit', (code) => failAll(new Error(`the embedded database's worker thread exited (code ${code})`)));

  const call = <R>(message: Op): Promise<R> => {
    if (dead) return Promise.reject(dead);
    const id = nextId++;
    return new Promise<R>((resolve, reject) => {
      if (pending.size === 0) worker.ref();
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ id, ...message });
    });
  };

  let closed = false;
  return {
    backend: 'pglite',
    query<T>(sql: string, params?: readonly unknown[]) {
      return call<QueryResult<T>>({ op: 'query', sql, params });
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const tx = await call<number>({ op: 'begin' });
      let result: T;
      try {
        result = await fn({
          query: <R>(sql: string, params?: readonly unknown[]) => call<QueryResult<R>>({ op: 'query', sql, params, tx }),
          exec: (sql: string) => call<void>({ op: 'exec', sql, tx }),
        });
      } catch (err) {
        await call<void>({ op: 'end', tx, commit: false }).catch(() => undefined);
        throw err;
      }
      await call<void>({ op: 'end', tx, commit: true });
      return result;
    },
    async exec(sql: string) {
      await call<void>({ op: 'exec', sql });
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await call<void>({ op: 'close' });
      } finally {
        await worker.terminate();
      }
    },
  };
}
