// `latchkey backup` and `latchkey restore`: SQLite files in place, PostgreSQL through pg_dump.
import type { Command } from 'commander';
import { json, print } from './cli-output.ts';
import { systemClock } from './clock.ts';
import { loadConfig } from './config/index.ts';
import { backupSqlite, pgDumpCommands, restoreSqlite } from './store/backup.ts';
import { isPostgres } from './store/db.ts';

/** PostgreSQL: the pg_dump commands to paste, and how to restore into an empty database. */
function printPgCommands(asJson: boolean | undefined, database: string, file: string): void {
  const commands = pgDumpCommands(database, file);
  print(
    asJson,
    commands,
    'The database is PostgreSQL: pg_dump backs it up, pg_restore restores it (the password comes from PGPASSWORD or ~/.pgpass).\n\n' +
      `Back up:\n\n  ${commands.command}\n\n` +
      'Restore into a new, empty database, then point LATCHKEY_DATABASE at it and restart the instances (they migrate at start):\n\n' +
      `  ${commands.create}\n  ${commands.restore}`,
  );
}

export function addBackupCommands(program: Command): void {
  program
    .command('backup <file>')
    .description('SQLite: an online backup a server can start from; PostgreSQL: the pg_dump command to use')
    .option('--force', 'overwrite FILE if it exists')
    .addOption(json())
    .action(async (file, o) => {
      const { database } = loadConfig();
      if (isPostgres(database)) return printPgCommands(o.json, database, file);
      const backup = await backupSqlite(database, file, { force: o.force });
      print(
        o.json,
        backup,
        `Backed up ${database} to ${backup.file} (${backup.pages} pages, consistent as of now).\n` +
          `To restore: stop the server, run latchkey restore ${backup.file}, start it again.\n` +
          `Or serve from it directly: LATCHKEY_DATABASE=${backup.file} latchkey serve`,
      );
    });

  program
    .command('restore <file>')
    .description(
      'SQLite, server stopped: put a backup in place of the database (its -wal/-shm too); PostgreSQL: the pg_restore commands to use',
    )
    .addOption(json())
    .action(async (file, o) => {
      const { database } = loadConfig();
      if (isPostgres(database)) return printPgCommands(o.json, database, file);
      const restored = restoreSqlite(database, file, new Date(systemClock()));
      print(
        o.json,
        restored,
        `Restored ${restored.from} to ${restored.file} (${restored.pages} pages).\n` +
          (restored.replaced ? `The database it replaced is kept as ${restored.replaced}.\n` : '') +
          'Start the server again: latchkey serve',
      );
    });
}
