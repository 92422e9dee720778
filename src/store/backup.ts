import { existsSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import SQLite from 'better-sqlite3';

/** A backup that cannot be made as asked; the message is one line for the operator. */
export class BackupError extends Error {
  override name = 'BackupError';
}

/**
 * An online backup of a SQLite store (SQLite's backup API through better-sqlite3): consistent while a
 * server keeps reading and writing it, and a file a server can start from as it is.
 */
export async function backupSqlite(
  location: string,
  file: string,
  options: { force?: boolean } = {},
): Promise<{ file: string; pages: number }> {
  const source = resolve(location);
  const target = resolve(file);
  if (location === ':memory:' || !existsSync(source))
    throw new BackupError(`There is no SQLite database at ${source} (LATCHKEY_DATABASE) to back up`);
  if (target === source) throw new BackupError('The backup file must not be the database itself');
  if (existsSync(target)) {
    if (!options.force) throw new BackupError(`${target} exists; give --force to overwrite it`);
    // Stale -wal/-shm files next to an old backup would be replayed over the new one.
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${target}${suffix}`, { force: true });
  }
  const db = new SQLite(source, { readonly: true, fileMustExist: true });
  try {
    const { totalPages } = await db.backup(target);
    return { file: target, pages: totalPages };
  } finally {
    db.close();
  }
}

/** PostgreSQL backups are pg_dump's job: the commands to use, the password masked. */
export function pgDumpCommands(url: string, file: string): { command: string; restore: string } {
  const masked = new URL(url);
  if (masked.password) masked.password = '****';
  const target = shellQuote(masked.toString());
  return {
    command: `pg_dump --format=custom --file=${shellQuote(file)} ${target}`,
    restore: `pg_restore --clean --if-exists --dbname=${target} ${shellQuote(file)}`,
  };
}

const shellQuote = (value: string): string =>
  /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
