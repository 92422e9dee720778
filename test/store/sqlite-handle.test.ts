// The SQLite connection as openDatabase sets it up (src/store/db.ts), and prepared reads through it
// (src/store/prepared.ts), on a real file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { randomToken } from '../../src/crypto.ts';
import { byMigrationName, type Db, migrate, openDatabase, sqlitePageCacheKib } from '../../src/store/db.ts';
import { migrations } from '../../src/store/migrations/index.ts';
import { arg, prepareSql } from '../../src/store/prepared.ts';

const dir = mkdtempSync(join(tmpdir(), 'latchkey-sqlite-handle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let handle: Db;
beforeEach(async () => {
  handle = await openDatabase(join(dir, `${randomToken(6)}.sqlite`));
  await sql`create table t (id integer primary key, name text, note text)`.execute(handle.db);
  await sql`insert into t (id, name, note) values (1, 'one', null), (2, 'two', 'x')`.execute(handle.db);
});
afterEach(() => handle.close());

const pragma = async (name: string) =>
  Object.values((await sql.raw(`pragma ${name}`).execute(handle.db)).rows[0] as object)[0];

describe('the SQLite connection', () => {
  it('keeps a 4 MB page cache, not the 16 MB better-sqlite3 builds SQLite with', async () => {
    expect(sqlitePageCacheKib).toBe(4000);
    expect(await pragma('cache_size')).toBe(-4000);
  });

  it('runs in WAL mode with synchronous=NORMAL and foreign keys on', async () => {
    expect(await pragma('journal_mode')).toBe('wal');
    expect(await pragma('synchronous')).toBe(1);
    expect(await pragma('foreign_keys')).toBe(1);
  });
});

describe('prepared reads', () => {
  it('return rows as objects named by column, nulls included', async () => {
    const byId = prepareSql<{ id: number; name: string; note: string | null }, [number]>(
      handle.db,
      sql`select id, name, note from t where id >= ${arg(0)} order by id`,
    );
    expect((await byId(1)).rows).toEqual([
      { id: 1, name: 'one', note: null },
      { id: 2, name: 'two', note: 'x' },
    ]);
    expect((await byId(3)).rows).toEqual([]);
  });

  it('leave Kysely queries of the same text reading objects (prepared reads read arrays)', async () => {
    const prepared = prepareSql<{ id: number; name: string }, [number]>(
      handle.db,
      sql`select id, name from t where id = ${arg(0)}`,
    );
    expect((await prepared(2)).rows).toEqual([{ id: 2, name: 'two' }]);
    const viaKysely = await handle.db.executeQuery(
      sql`select id, name from t where id = ${2}`.compile(handle.db),
    );
    expect(viaKysely.rows).toEqual([{ id: 2, name: 'two' }]);
  });
});

describe('migrations', () => {
  it('are ordered by their ASCII names, the same order as by locale', () => {
    const names = Object.keys(migrations);
    expect(names.every((n) => /^\d{3}_[a-z_]+$/.test(n))).toBe(true);
    expect([...names].sort(byMigrationName)).toEqual(names);
    expect([...names].sort((a, b) => a.localeCompare(b))).toEqual(names);
  });

  it('run without localeCompare, whose collation data would stay in RSS (1.6 MB)', async () => {
    const spy = vi.spyOn(String.prototype, 'localeCompare');
    try {
      // The second run compares the names already applied: that is where Kysely sorts.
      await migrate(handle.db);
      expect(await migrate(handle.db)).toEqual([]);
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });
});
