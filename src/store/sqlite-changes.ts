import type SQLite from 'better-sqlite3';

/**
 * What may have changed in a SQLite file, for caches that must never serve a stale answer: counters
 * that only grow, one for this connection's writes and one for other connections' commits.
 */
export interface SqliteChanges {
  /**
   * Rows this connection has inserted, updated or deleted since it opened: SQLite's total_changes()
   * (sqlite.org/lang_corefunc.html#total_changes).
   */
  localWrites(): number;
  /**
   * Bumped when another connection (the CLI, another process) has committed. `PRAGMA data_version`
   * changes only for other connections' commits (sqlite.org/pragma.html#pragma_data_version); it is
   * read at most every `checkEveryMs` of real time: each read goes to the WAL index in shared
   * memory, work the cached lookups it guards exist to avoid.
   */
  otherCommits(): number;
}

export function watchSqliteChanges(sqlite: SQLite.Database, checkEveryMs = 100): SqliteChanges {
  const totalChanges = sqlite.prepare('SELECT total_changes()').pluck();
  const version = sqlite.prepare('PRAGMA data_version').pluck();
  let lastVersion = version.get();
  let commits = 0;
  let checkedAt = performance.now();
  return {
    localWrites: () => totalChanges.get() as number,
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
