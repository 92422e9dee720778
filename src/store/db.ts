import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import {
  Kysely,
  type LogConfig,
  type Migration,
  type MigrationProvider,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  sql,
} from 'kysely';
import { reportUnavailable } from './errors.ts';
import { migrations } from './migrations/index.ts';
import { registerSqliteHandle } from './prepared.ts';
import type { Database } from './schema.ts';
import { type SqliteChanges, watchSqliteChanges } from './sqlite-changes.ts';

export type Dialect = 'sqlite' | 'postgres';

export interface Db {
  db: Kysely<Database>;
  dialect: Dialect;
  /** SQLite: counters of what may have changed, for exact caches (./sqlite-changes.ts). */
  changes?: SqliteChanges;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** Told the duration of every query (the store-latency metric). */
  onQuery?: (seconds: number) => void;
  /** Called once when the database goes away (again after it has come back); default: a process warning. */
  onLost?: (error: Error) => void;
}

const warnLost = (error: Error): void =>
  process.emitWarning(
    `The database connection was lost (${error.message}); requests get 503 until it is back`,
  );

/** SQLite's page cache per connection, in KiB (PRAGMA cache_size takes a negative number as KiB). */
export const sqlitePageCacheKib = 4000;

export const isPostgres = (location: string): boolean => /^postgres(ql)?:\/\//.test(location);

/**
 * The database for messages: `PostgreSQL at host:port` (never the user or password), or the SQLite
 * file. A `host` query parameter wins over the URL's host, as node-postgres reads it (a socket path).
 */
export function describeLocation(location: string): string {
  if (!isPostgres(location)) return `SQLite ${location}`;
  try {
    const url = new URL(location);
    const host = url.searchParams.get('host') || url.hostname || 'localhost';
    return `PostgreSQL at ${host}:${url.searchParams.get('port') || url.port || '5432'}`;
  } catch {
    return 'PostgreSQL';
  }
}

/** A file path (or `:memory:`) opens SQLite; a `postgres://` URL opens PostgreSQL. */
export async function openDatabase(location: string, options: DatabaseOptions = {}): Promise<Db> {
  if (isPostgres(location)) {
    // Loaded only for PostgreSQL: a SQLite server does not pay its start time and memory.
    const { default: pg } = await import('pg');
    // bigint columns hold epoch milliseconds, well inside Number's exact range.
    pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
    // A short connect timeout: while the database is away, requests fail fast with 503, not hang.
    const pool = new pg.Pool({ connectionString: location, max: 10, connectionTimeoutMillis: 2000 });
    // An idle client whose server went away emits 'error' on the pool; unhandled, it would end the
    // process. The pool drops that client and connects anew once the database is back.
    let lost = false;
    pool.on('error', (error) => {
      if (!lost) (options.onLost ?? warnLost)(error);
      lost = true;
    });
    pool.on('connect', () => {
      lost = false;
    });
    const db = new Kysely<Database>({
      dialect: reportUnavailable(new PostgresDialect({ pool }), describeLocation(location)),
      log: timing(options),
    });
    return { db, dialect: 'postgres', close: () => db.destroy() };
  }
  if (location !== ':memory:') mkdirSync(dirname(location), { recursive: true });
  const sqlite = new SQLite(location);
  // WAL lets the CLI write while the server reads; the busy timeout waits out a writer instead of failing.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('synchronous = NORMAL');
  // A 4 MB page cache, where better-sqlite3 builds SQLite with 16 MB (SQLITE_DEFAULT_CACHE_SIZE=-16000):
  // under code exchange and refresh a larger cache fills and stays in the process's memory, and the
  // OS page cache holds the file either way, so it buys memory use, not speed.
  sqlite.pragma(`cache_size = ${-sqlitePageCacheKib}`);
  const changes = watchSqliteChanges(sqlite);
  const db = new Kysely<Database>({
    dialect: reportUnavailable(new SqliteDialect({ database: sqlite }), describeLocation(location)),
    log: timing(options),
  });
  registerSqliteHandle(db, sqlite, options.onQuery);
  return {
    db,
    dialect: 'sqlite',
    changes,
    close: () => db.destroy(),
  };
}

/** Kysely's query log as a duration callback (the store-latency metric). */
function timing(options: DatabaseOptions): LogConfig | undefined {
  const { onQuery } = options;
  if (!onQuery) return undefined;
  return (event) => {
    if (event.level === 'query') onQuery(event.queryDurationMillis / 1000);
  };
}

const provider: MigrationProvider = {
  getMigrations: async (): Promise<Record<string, Migration>> => migrations,
};

/**
 * Migration names are ASCII (`NNN_words`), so plain code-unit order is their order. Kysely's default,
 * `localeCompare`, loads ICU's collation data, which then stays in the memory of every process that
 * starts, for one sort at start.
 */
export const byMigrationName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The advisory lock the start's one-time steps hold ("latchkey" in ASCII; any number would do, and
 * Kysely's own migration lock is another one).
 */
export const startLockId = '7809651199139603833';

/**
 * Runs `fn` while no other process runs it on this database: instances starting together migrate
 * and make the first signing key once, the others wait (DESIGN.md "Operating it"). PostgreSQL: a
 * session advisory lock, held on the one connection `fn` gets. SQLite needs none: it is one machine's
 * file, `--workers` has its primary do this before forking, and SQLite serialises writers anyway (a
 * nested connection would wait forever for Kysely's single SQLite connection).
 */
export async function exclusively<T>(
  db: Kysely<Database>,
  dialect: Dialect,
  fn: (db: Kysely<Database>) => Promise<T>,
): Promise<T> {
  if (dialect !== 'postgres') return fn(db);
  return db.connection().execute(async (connection) => {
    await sql`select pg_advisory_lock(${startLockId}::bigint)`.execute(connection);
    try {
      return await fn(connection);
    } finally {
      // If this fails the connection is gone, and the session's lock with it.
      await sql`select pg_advisory_unlock(${startLockId}::bigint)`.execute(connection);
    }
  });
}

export async function migrate(db: Kysely<Database>): Promise<string[]> {
  const migrator = new Migrator({ db, provider, nameComparator: byMigrationName });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
