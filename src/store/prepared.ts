import type SQLite from 'better-sqlite3';
import { type Compilable, CompiledQuery, type Kysely } from 'kysely';
import { translateUnavailable } from './errors.ts';
import type { Database } from './schema.ts';

/**
 * Hot-path queries (token endpoint, introspection, bearer checks), built and compiled by Kysely once
 * instead of per request. On SQLite they run as better-sqlite3 prepared statements directly — one
 * synchronous call instead of Kysely's query building, compiling and connection mutex, about a
 * fifth of the cost here (bench/README.md). Inside a transaction, on PostgreSQL, or on a
 * transaction-bound Kysely, they go through Kysely with the compiled SQL, so every query still
 * takes the one data path of the store.
 */

const sqliteHandles = new WeakMap<
  Kysely<Database>,
  { sqlite: SQLite.Database; onQuery?: ((seconds: number) => void) | undefined }
>();

/**
 * Called by openDatabase: lets the prepared queries of this Kysely instance use the handle, and
 * report their durations as Kysely's query log does for the rest (the store-latency metric).
 */
export function registerSqliteHandle(
  db: Kysely<Database>,
  sqlite: SQLite.Database,
  onQuery?: (seconds: number) => void,
): void {
  sqliteHandles.set(db, { sqlite, onQuery });
}

const slot = Symbol('argument');
interface Slot {
  [slot]: number;
}

/** The i-th argument of a prepared query, standing for a value while the query is built. */
export const arg = <T>(i: number): T => ({ [slot]: i }) as unknown as T;

export interface PreparedResult<R> {
  rows: R[];
  /** Rows an INSERT, UPDATE or DELETE changed. */
  changes: number;
}

export function prepare<R, A extends unknown[]>(
  db: Kysely<Database>,
  build: () => Compilable<R>,
): (...args: A) => Promise<PreparedResult<R>> {
  let compiled: { sql: string; order: number[] } | undefined;
  let statement: SQLite.Statement | undefined;
  const handle = sqliteHandles.get(db);
  const sqlite = handle?.sqlite;
  const onQuery = handle?.onQuery;

  const compile = () => {
    const q = build().compile();
    const order = q.parameters.map((p) => (p as Slot)[slot]);
    if (order.some((i) => typeof i !== 'number'))
      throw new Error(`prepared query with a constant value instead of arg(i): ${q.sql}`);
    return { sql: q.sql, order };
  };

  return async (...args) => {
    compiled ??= compile();
    const params = compiled.order.map((i) => args[i]);
    // Outside a transaction only: inside one, Kysely's connection lock keeps other requests' queries
    // out of it (better-sqlite3 has one connection; its calls are synchronous, so nothing interleaves
    // between this check and the statement).
    if (sqlite && !sqlite.inTransaction) {
      const started = onQuery ? performance.now() : 0;
      try {
        statement ??= sqlite.prepare(compiled.sql);
        if (statement.reader) return { rows: statement.all(params) as R[], changes: 0 };
        return { rows: [], changes: statement.run(params).changes };
      } catch (error) {
        return translateUnavailable(error);
      } finally {
        onQuery?.((performance.now() - started) / 1000);
      }
    }
    const r = await db.executeQuery<R>(CompiledQuery.raw(compiled.sql, params));
    return { rows: r.rows, changes: Number(r.numAffectedRows ?? 0n) };
  };
}
