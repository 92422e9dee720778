// Group commit (src/store/prepared.ts): the atomic units of one event-loop turn commit together, each
// in a savepoint, on a real SQLite file in WAL mode.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reportUnavailable, StoreUnavailableError } from '../../src/store/errors.ts';
import { arg, atomic, prepareSql, registerSqliteHandle, type Unit } from '../../src/store/prepared.ts';
import type { Database } from '../../src/store/schema.ts';

let file: string;
let sqlite: SQLite.Database;
let db: Kysely<Database>;
let insert: ReturnType<typeof prepareSql<unknown, [number]>>;

beforeEach(() => {
  file = join(mkdtempSync(join(tmpdir(), 'latchkey-group-')), 'db.sqlite');
  sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.exec('CREATE TABLE t (x INTEGER PRIMARY KEY)');
  db = new Kysely<Database>({ dialect: reportUnavailable(new SqliteDialect({ database: sqlite })) });
  registerSqliteHandle(db, sqlite);
  insert = prepareSql<unknown, [number]>(db, sql`insert into t (x) values (${arg(0)})`);
});
afterEach(() => db.destroy());

const rows = () => (sqlite.prepare('SELECT x FROM t ORDER BY x').all() as { x: number }[]).map((r) => r.x);
/** Frames in the WAL since it was last emptied: the pages the commits since then wrote. */
const walFrames = () => (sqlite.pragma('wal_checkpoint(PASSIVE)') as { log: number }[])[0]!.log;
const emptyWal = () => sqlite.pragma('wal_checkpoint(TRUNCATE)');

function* inserts(...values: number[]): Unit<number> {
  for (const x of values) yield* insert.step(x);
  return values.length;
}

describe('group commit of atomic units (SQLite)', () => {
  it('commits the units of one turn together: the shared page is written once, not once per unit', async () => {
    emptyWal();
    await Promise.all([1, 2, 3, 4].map((x) => atomic(db, () => inserts(x))));
    const together = walFrames();
    emptyWal();
    for (const x of [5, 6, 7, 8]) await atomic(db, () => inserts(x)); // one turn each
    const apart = walFrames();
    expect(rows()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(together).toBe(1);
    expect(apart).toBe(4);
  });

  it('rolls back only the unit that throws; the others of its group commit', async () => {
    const results = await Promise.allSettled([
      atomic(db, () => inserts(1, 2)),
      atomic(db, function* () {
        yield* insert.step(3);
        throw new Error('this unit fails after its first write');
      }),
      atomic(db, () => inserts(4, 1)), // the second insert breaks the primary key: the 4 goes too
      atomic(db, () => inserts(5)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason.message).toMatch(/fails after/);
    expect((results[2] as PromiseRejectedResult).reason).toMatchObject({
      code: 'SQLITE_CONSTRAINT_PRIMARYKEY',
    });
    expect(rows()).toEqual([1, 2, 5]);
  });

  it('sees the earlier units of its group: of two units claiming the same row, the second finds it taken', async () => {
    const claim = prepareSql<unknown, [number]>(db, sql`insert or ignore into t (x) values (${arg(0)})`);
    const outcomes = await Promise.all(
      [0, 1].map(() =>
        atomic(db, function* () {
          const r = yield* claim.step(7);
          return r.changes === 1 ? 'won' : 'taken';
        }),
      ),
    );
    expect(outcomes).toEqual(['won', 'taken']);
  });

  it('fails every unit of the group, and writes none, when the database is locked past the busy timeout', async () => {
    sqlite.pragma('busy_timeout = 0');
    const holder = new SQLite(file);
    holder.exec('BEGIN IMMEDIATE');
    try {
      const results = await Promise.allSettled([atomic(db, () => inserts(1)), atomic(db, () => inserts(2))]);
      for (const r of results) {
        expect(r.status).toBe('rejected');
        expect((r as PromiseRejectedResult).reason).toBeInstanceOf(StoreUnavailableError);
      }
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    expect(rows()).toEqual([]);
    // The next turn's group commits normally.
    await atomic(db, () => inserts(3));
    expect(rows()).toEqual([3]);
  });

  it('waits for a Kysely transaction that holds the connection, then runs outside it', async () => {
    let unit: Promise<number> | undefined;
    await expect(
      db.transaction().execute(async (tx) => {
        await sql`insert into t (x) values (10)`.execute(tx);
        unit = atomic(db, () => inserts(11));
        await new Promise((resolve) => setImmediate(resolve)); // the group's turn comes and goes
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await unit).toBe(1);
    expect(rows()).toEqual([11]);
  });
});
