import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';

/** A backup or restore that cannot be made as asked; the message is one line for the operator. */
export class BackupError extends Error {
  override name = 'BackupError';
}

const firstLine = (error: unknown): string => (error as Error).message.split('\n')[0]!;

/** The folder a file goes in, made when it is missing (`latchkey backup backups/x.sqlite`). */
function makeFolderFor(file: string): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
  } catch (error) {
    throw new BackupError(`Cannot create the folder for ${file}: ${firstLine(error)}`);
  }
}

/** A SQLite database with its WAL files (sqlite.org/wal.html): the three always go together. */
const withJournal = (file: string): string[] => [file, `${file}-wal`, `${file}-shm`];
const removeWithJournal = (file: string): void => {
  for (const f of withJournal(file)) rmSync(f, { force: true });
};

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
    removeWithJournal(target);
  }
  makeFolderFor(target);
  const db = new SQLite(source, { readonly: true, fileMustExist: true });
  try {
    const { totalPages } = await db.backup(target);
    return { file: target, pages: totalPages };
  } catch (error) {
    throw new BackupError(`Cannot write the backup to ${target}: ${firstLine(error)}`);
  } finally {
    db.close();
  }
}

/**
 * Puts a backup made by `backupSqlite` in place of the store, for a server that is stopped. The
 * store's -wal goes too: SQLite replays a WAL left by a crash over whatever file it finds, so a
 * restore that kept it would bring back the state it meant to undo. What it replaces is kept aside.
 */
export function restoreSqlite(
  location: string,
  file: string,
  now: Date,
): { file: string; from: string; pages: number; replaced: string | null } {
  const target = resolve(location);
  const source = resolve(file);
  if (location === ':memory:')
    throw new BackupError('LATCHKEY_DATABASE is :memory:; there is nothing to restore into');
  if (!existsSync(source)) throw new BackupError(`There is no backup at ${source}`);
  if (source === target) throw new BackupError('The backup file must not be the database itself');
  makeFolderFor(target);
  if (existsSync(target)) assertNotInUse(target);

  // Staged beside the store, so the last step is a rename on one file system.
  const staged = `${target}.restoring`;
  let pages: number;
  try {
    removeWithJournal(staged);
    copyFileSync(source, staged);
    if (existsSync(`${source}-wal`)) copyFileSync(`${source}-wal`, `${staged}-wal`);
    pages = checkBackup(staged, source);
  } catch (error) {
    removeWithJournal(staged);
    if (error instanceof BackupError) throw error;
    throw new BackupError(`Cannot restore ${source}: ${firstLine(error)}`);
  }

  const replaced = existsSync(target) ? `${target}.replaced-${now.toISOString().replaceAll(':', '-')}` : null;
  try {
    if (replaced) {
      if (existsSync(replaced)) throw new Error(`${replaced} exists`);
      renameSync(target, replaced);
      if (existsSync(`${target}-wal`)) renameSync(`${target}-wal`, `${replaced}-wal`);
    }
    rmSync(`${target}-wal`, { force: true });
    rmSync(`${target}-shm`, { force: true });
    renameSync(staged, target);
  } catch (error) {
    const where = replaced && !existsSync(target) ? `; the database is now at ${replaced}` : '';
    throw new BackupError(`Cannot put ${staged} in place of ${target}: ${firstLine(error)}${where}`);
  }
  return { file: target, from: source, pages, replaced };
}

/**
 * Refuses a store another process has open. Every connection to a WAL database keeps a shared lock
 * on the file (sqlite.org/lockingv3.html), so an exclusive lock is ours only when none is open; a
 * crashed server holds none.
 */
function assertNotInUse(target: string): void {
  let db: SQLite.Database | undefined;
  try {
    db = new SQLite(target, { fileMustExist: true, timeout: 0 });
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE; COMMIT');
  } catch (error) {
    if ((error as { code?: string }).code === 'SQLITE_BUSY')
      throw new BackupError(
        `${target} is open in another process (a running server?): stop it, then restore`,
      );
    // Anything else: the store is damaged, which is what a restore is for.
  } finally {
    db?.close();
  }
}

/** The staged copy is an intact Latchkey database, its own WAL folded in; its page count. */
function checkBackup(staged: string, source: string): number {
  const db = new SQLite(staged, { fileMustExist: true });
  try {
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new BackupError(`${source} is damaged (${check}); restore another backup`);
    const latchkey = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'kysely_migration'").get();
    if (!latchkey) throw new BackupError(`${source} is not a Latchkey database`);
    db.pragma('wal_checkpoint(TRUNCATE)');
    return db.pragma('page_count', { simple: true }) as number;
  } catch (error) {
    if (error instanceof BackupError) throw error;
    throw new BackupError(`${source} is not a SQLite database: ${firstLine(error)}`);
  } finally {
    db.close();
  }
}

/**
 * PostgreSQL backups are pg_dump's job: the commands to paste. No password in them (they end up in
 * shell history and `ps`); pg_dump reads it from PGPASSWORD or ~/.pgpass. A restore goes into a new,
 * empty database, which the instances then point at.
 */
export function pgDumpCommands(
  url: string,
  file: string,
): { command: string; create: string; restore: string } {
  const server = new URL(url);
  server.password = '';
  server.searchParams.delete('password');
  const name = decodeURIComponent(server.pathname.slice(1)) || 'latchkey';
  const restored = new URL(server);
  restored.pathname = `/${encodeURIComponent(`${name}_restored`)}`;
  return {
    command: `pg_dump --format=custom --file=${shellQuote(file)} ${shellQuote(server.toString())}`,
    create: `createdb --maintenance-db=${shellQuote(server.toString())} ${shellQuote(`${name}_restored`)}`,
    restore: `pg_restore --no-owner --exit-on-error --dbname=${shellQuote(restored.toString())} ${shellQuote(file)}`,
  };
}

const shellQuote = (value: string): string =>
  /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
