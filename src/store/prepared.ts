import type SQLite from 'better-sqlite3';
import { type Compilable, CompiledQuery, type Kysely, PostgresAdapter, type RawBuilder } from 'kysely';
import { asUnavailable, translateUnavailable } from './errors.ts';
import type { Database } from './schema.ts';

/**
 * Hot-path queries (token endpoint, introspection, bearer checks), built and compiled by Kysely once
 * instead of per request. On SQLite they run as better-sqlite3 prepared statements directly — one
 * synchronous call instead of Kysely's query building, compiling and connection mutex, which on
 * SQLite cost more than the query itself. Inside a transaction, on PostgreSQL, or on a
 * transaction-bound Kysely, they go through Kysely with the compiled SQL, so every query still
 * takes the one data path of the store.
 *
 * Several of them that must commit together (the code exchange, a refresh token's rotation) form an
 * atomic unit (`atomic` below): on SQLite one synchronous better-sqlite3 transaction of the same
 * prepared statements, on PostgreSQL a Kysely transaction running the same compiled SQL.
 */

interface SqliteHandle {
  sqlite: SQLite.Database;
  onQuery?: ((seconds: number) => void) | undefined;
  /** Queues an atomic unit for the next group commit (below). */
  commit: (unit: () => Unit<unknown>, fallback: () => Promise<unknown>) => Promise<unknown>;
}

const sqliteHandles = new WeakMap<Kysely<Database>, SqliteHandle>();

/**
 * Called by openDatabase: lets the prepared queries of this Kysely instance use the handle, and
 * report their durations as Kysely's query log does for the rest (the store-latency metric).
 */
export function registerSqliteHandle(
  db: Kysely<Database>,
  sqlite: SQLite.Database,
  onQuery?: (seconds: number) => void,
): void {
  sqliteHandles.set(db, { sqlite, onQuery, commit: groupCommit(sqlite, onQuery) });
}

interface Queued {
  unit: () => Unit<unknown>;
  fallback: () => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}
type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Group commit: the atomic units asked for during one turn of the event loop run at setImmediate in
 * one BEGIN IMMEDIATE … COMMIT, so one commit carries the WAL frames and locks of every code exchange
 * and refresh of the turn. Each unit runs in a SAVEPOINT of its own: one that throws is rolled back
 * alone and the others still commit. A unit's promise settles only after the commit: when COMMIT
 * fails, every unit of the group fails, and none of them was written. While a Kysely transaction
 * holds the connection (it may span turns), the group waits its turn through Kysely like any other
 * transaction instead.
 */
function groupCommit(sqlite: SQLite.Database, onQuery?: (seconds: number) => void): SqliteHandle['commit'] {
  let queue: Queued[] = [];
  // Called inside a transaction, a better-sqlite3 transaction function is a SAVEPOINT.
  const savepoint = sqlite.transaction((unit: () => Unit<unknown>) => runSteps(unit()));
  // IMMEDIATE takes the write lock at BEGIN: with a second process on the file (the CLI, --workers)
  // a deferred transaction that reads first could fail with SQLITE_BUSY when it comes to write,
  // where BEGIN IMMEDIATE waits out the busy timeout instead.
  const group = sqlite.transaction((jobs: Queued[]) =>
    jobs.map((job): Outcome => {
      try {
        return { ok: true, value: savepoint(job.unit) };
      } catch (error) {
        // Some errors (SQLITE_FULL, SQLITE_IOERR, …) roll back the whole transaction, not just the
        // savepoint: then nothing of the group was written, and the whole group fails.
        if (!sqlite.inTransaction) throw error;
        return { ok: false, error };
      }
    }),
  ).immediate;

  function flush(): void {
    const jobs = queue;
    queue = [];
    if (sqlite.inTransaction) {
      for (const job of jobs) job.fallback().then(job.resolve, job.reject);
      return;
    }
    const started = onQuery ? performance.now() : 0;
    let outcomes: Outcome[];
    try {
      outcomes = group(jobs);
    } catch (error) {
      const failure = asUnavailable(error);
      for (const job of jobs) job.reject(failure);
      return;
    } finally {
      onQuery?.((performance.now() - started) / 1000);
    }
    outcomes.forEach((o, i) => {
      if (o.ok) jobs[i]!.resolve(o.value);
      else jobs[i]!.reject(asUnavailable(o.error));
    });
  }

  return (unit, fallback) =>
    new Promise((resolve, reject) => {
      if (queue.length === 0) setImmediate(flush);
      queue.push({ unit, fallback, resolve, reject });
    });
}

function rowObject(columns: string[], values: unknown[]): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (let i = 0; i < columns.length; i++) row[columns[i]!] = values[i];
  return row;
}

function runSteps<T>(steps: Unit<T>): T {
  const sync: Runner = { sync: true };
  let next = steps.next();
  while (!next.done) next = steps.next(next.value.run(sync) as PreparedResult<unknown>);
  return next.value;
}

const slot = Symbol('argument');
interface Slot {
  [slot]: number;
}

/** The i-th argument of a prepared query, standing for a value while the query is built. */
export const arg = <T>(i: number): T => ({ [slot]: i }) as unknown as T;

/** Whether `db` (a transaction-bound one included) talks to PostgreSQL. */
export const onPostgres = (db: Kysely<Database>): boolean =>
  db.getExecutor().adapter instanceof PostgresAdapter;

/** A query written as SQL text (`sql` with `arg(i)` for its values), prepared like the others. */
export const prepareSql = <R, A extends unknown[]>(
  db: Kysely<Database>,
  query: RawBuilder<R>,
): Prepared<R, A> => prepare<R, A>(db, () => ({ compile: () => query.compile(db) }));

export interface PreparedResult<R> {
  rows: R[];
  /** Rows an INSERT, UPDATE or DELETE changed. */
  changes: number;
}

/** One prepared query with its arguments, waiting to run as part of an atomic unit. */
export interface Step {
  readonly run: (via: Runner) => PreparedResult<unknown> | Promise<PreparedResult<unknown>>;
}

/** How a unit's steps are run: synchronously on the SQLite handle, or through a Kysely transaction. */
type Runner = { sync: true } | { sync: false; tx: Kysely<Database> };

/**
 * An atomic unit: a generator that yields its steps (`yield* query.step(...)`) and gets each one's
 * result back, so it can decide on the next (stop when a conditional UPDATE changed nothing). It
 * must do nothing else that waits: on SQLite it runs synchronously inside one transaction.
 */
export type Unit<T> = Generator<Step, T, PreparedResult<unknown>>;

export interface Prepared<R, A extends unknown[]> {
  (...args: A): Promise<PreparedResult<R>>;
  /** This query as a step of an atomic unit: `const r = yield* query.step(...args)`. */
  step(...args: A): Generator<Step, PreparedResult<R>, PreparedResult<unknown>>;
}

export function prepare<R, A extends unknown[]>(
  db: Kysely<Database>,
  build: () => Compilable<R>,
): Prepared<R, A> {
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
  const parameters = (args: unknown[]) => {
    compiled ??= compile();
    return compiled.order.map((i) => args[i]);
  };
  let columns: string[] | undefined;
  /**
   * On the SQLite handle, synchronously (errors as thrown by better-sqlite3). The statement is this
   * query's own: reads return rows as arrays (raw mode), made objects here with the column names
   * read once, where better-sqlite3 would look each column's name up for every row.
   */
  const runSync = (params: unknown[]): PreparedResult<R> => {
    if (!statement) {
      statement = sqlite!.prepare(compiled!.sql);
      if (statement.reader) statement.raw(true);
    }
    if (!statement.reader) return { rows: [], changes: statement.run(params).changes };
    const rows = statement.all(params) as unknown[][];
    columns ??= statement.columns().map((c) => c.name);
    return { rows: rows.map((values) => rowObject(columns!, values) as R), changes: 0 };
  };
  const runVia = async (tx: Kysely<Database>, params: unknown[]): Promise<PreparedResult<R>> => {
    const r = await tx.executeQuery<R>(CompiledQuery.raw(compiled!.sql, params));
    return { rows: r.rows, changes: Number(r.numAffectedRows ?? 0n) };
  };

  const run = async (...args: A): Promise<PreparedResult<R>> => {
    const params = parameters(args);
    // Outside a transaction only: inside one, Kysely's connection lock keeps other requests' queries
    // out of it (better-sqlite3 has one connection; its calls are synchronous, so nothing interleaves
    // between this check and the statement).
    if (sqlite && !sqlite.inTransaction) {
      const started = onQuery ? performance.now() : 0;
      try {
        return runSync(params);
      } catch (error) {
        return translateUnavailable(error);
      } finally {
        onQuery?.((performance.now() - started) / 1000);
      }
    }
    return runVia(db, params);
  };
  return Object.assign(run, {
    *step(...args: A): Generator<Step, PreparedResult<R>, PreparedResult<unknown>> {
      const params = parameters(args);
      const result = yield { run: (via: Runner) => (via.sync ? runSync(params) : runVia(via.tx, params)) };
      return result as PreparedResult<R>;
    },
  });
}

/**
 * A caller's judgement of a row read inside a unit (`codes.redeem`, `refreshTokens.rotate`): what
 * `judge` returned, or what it threw. The unit hands a refusal back as a value, an outcome like the
 * others, not an error that rolls the unit back.
 */
export function verdict<T, V>(
  row: T,
  judge: (row: T) => V,
): { ok: true; value: V } | { ok: false; reason: unknown } {
  try {
    return { ok: true, value: judge(row) };
  } catch (reason) {
    return { ok: false, reason };
  }
}

/**
 * Runs `unit` atomically: every step commits, or none does (a throw from a step or from the unit
 * rolls it all back). On SQLite it joins the next group commit (above): synchronous, no promise per
 * statement, and no other request's query can slip in since nothing in it waits. Otherwise
 * (PostgreSQL; a transaction-bound Kysely) the same SQL runs in a Kysely transaction, or in the one
 * `db` already is.
 */
export async function atomic<T>(db: Kysely<Database>, unit: () => Unit<T>): Promise<T> {
  const work = async (tx: Kysely<Database>) => {
    const steps = unit();
    const via: Runner = { sync: false, tx };
    let next = steps.next();
    while (!next.done) next = steps.next(await next.value.run(via));
    return next.value;
  };
  const inKysely = () => (db.isTransaction ? work(db) : db.transaction().execute(work));
  const handle = sqliteHandles.get(db);
  return (handle ? handle.commit(unit, inKysely) : inKysely()) as Promise<T>;
}
