// Group commit (src/store/prepared.ts): the atomic units of one event-loop turn commit together, on a
// real SQLite file in WAL mode, each unit in a savepoint of its own, each run exactly once.
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
/** Every statement the connection ran, as better-sqlite3's `verbose` hook reports them. */
let statements: string[];

beforeEach(() => {
  file = join(mkdtempSync(join(tmpdir(), 'latchkey-group-')), 'db.sqlite');
  statements = [];
  sqlite = new SQLite(file, { verbose: (sql) => statements.push(String(sql)) });
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
/** The transaction control statements run so far (BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE). */
const control = () =>
  statements.filter((s) => /^(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)/.test(s)).map((s) => s.split(' ')[0]);

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

  it('runs a group in one BEGIN … COMMIT, each unit in a savepoint of its own', async () => {
    statements.length = 0;
    expect(await Promise.all([atomic(db, () => inserts(1)), atomic(db, () => inserts(2, 3))])).toEqual([
      1, 2,
    ]);
    expect(control()).toEqual(['BEGIN', 'SAVEPOINT', 'RELEASE', 'SAVEPOINT', 'RELEASE', 'COMMIT']);
    expect(statements.filter((s) => s.startsWith('insert'))).toHaveLength(3);
    expect(rows()).toEqual([1, 2, 3]);
  });

  it('fails a unit that throws alone in its group, runs it once, and writes nothing of it', async () => {
    let runs = 0;
    statements.length = 0;
    await expect(
      atomic(db, function* () {
        runs++;
        yield* insert.step(1);
        throw new Error('alone and failing');
      }),
    ).rejects.toThrow('alone and failing');
    expect(runs).toBe(1);
    expect(control()).toEqual(['BEGIN', 'SAVEPOINT', 'ROLLBACK', 'RELEASE', 'COMMIT']);
    expect(rows()).toEqual([]);
  });

  it('rolls back only the unit that throws, running each unit once; the others of its group commit', async () => {
    let runs = 0;
    statements.length = 0;
    const results = await Promise.allSettled([
      atomic(db, () => inserts(1, 2)),
      atomic(db, function* () {
        runs++;
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
    expect(runs).toBe(1);
    expect(control()).toEqual([
      'BEGIN',
      ...['SAVEPOINT', 'RELEASE', 'SAVEPOINT', 'ROLLBACK', 'RELEASE'],
      ...['SAVEPOINT', 'ROLLBACK', 'RELEASE', 'SAVEPOINT', 'RELEASE'],
      'COMMIT',
    ]);
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
      statements.length = 0;
      const results = await Promise.allSettled([atomic(db, () => inserts(1)), atomic(db, () => inserts(2))]);
      // BEGIN failed: no unit ran, and the busy timeout was waited once.
      expect(control()).toEqual(['BEGIN']);
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
