import type SQLite from 'better-sqlite3';

/**
 * What may have changed in a SQLite file, for caches that must never serve a stale answer: counters
 * that only grow, one for this connection's writes and one for other connections' commits.
 */
export interface SqliteChanges {
  /** Bumped by every statement this connection runs that is not a read (BEGIN and COMMIT too). */
  localWrites(): number;
  /**
   * Bumped when another connection (the CLI, another process) has committed. `PRAGMA data_version`
   * changes only for other connections' commits (sqlite.org/pragma.html#pragma_data_version); it is
   * read at most every `checkEveryMs` of real time, since a read of the WAL index costs a few µs.
   */
  otherCommits(): number;
}

const reads = /^\s*(select|pragma)\b/i;

/** Installs the write counter on `sqlite.prepare`; call before statements are prepared or cached. */
export function watchSqliteChanges(sqlite: SQLite.Database, checkEveryMs = 100): SqliteChanges {
  let writes = 0;
  const prepare = sqlite.prepare.bind(sqlite);
  sqlite.prepare = ((source: string) => {
    const statement = prepare(source);
    if (reads.test(source)) return statement;
    // Counted before it runs: a cached answer stamped earlier is stale from here on.
    for (const method of ['run', 'get', 'all', 'iterate'] as const) {
      const original = statement[method] as (...args: unknown[]) => unknown;
      (statement as unknown as Record<string, unknown>)[method] = function (
        this: unknown,
        ...args: unknown[]
      ) {
        writes++;
        return original.apply(this, args);
      };
    }
    return statement;
  }) as typeof sqlite.prepare;

  const version = prepare('PRAGMA data_version').pluck();
  let lastVersion = version.get();
  let commits = 0;
  let checkedAt = performance.now();
  return {
    localWrites: () => writes,
    otherCommits() {
      const now = performance.now();
      if (now - checkedAt >= checkEveryMs) {
        checkedAt = now;
        const current = version.get();
        if (current !== lastVersion) {
          lastVersion = current;
          commits++;
        }
      }
      return commits;
    },
  };
}
