import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, bin, serveBuilt } from '../helpers/dist.ts';
import { freePort, requestToken, startLatchkey } from '../helpers/latchkey.ts';
import { freshPostgres } from '../helpers/postgres.ts';

const dir = mkdtempSync(join(tmpdir(), 'latchkey-backup-'));
beforeAll(assertBuilt); // the CLI runs from dist/
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function latchkey(args: string[], database: string, more: Record<string, string> = {}, cwd?: string) {
  const env = { ...process.env, LATCHKEY_DATABASE: database, LATCHKEY_LOG_LEVEL: 'warn', ...more };
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args], { env, cwd });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    return error as { stdout: string; stderr: string; code: number };
  }
}

describe('latchkey backup (SQLite): the restore drill', () => {
  it('backs up a running server; a server started on the backup serves the state of that moment', async () => {
    const database = join(dir, 'live.sqlite');
    const file = join(dir, 'backup.sqlite');
    const lk = await startLatchkey({ env: { LATCHKEY_DATABASE: database } });
    let before: { clientId: string; clientSecret: string };
    let after: { clientId: string; clientSecret: string };
    try {
      before = await lk.createClient({ name: 'Before the backup' });
      const backup = await latchkey(['backup', file], database);
      expect(backup.code).toBe(0);
      expect(backup.stdout).toContain(`LATCHKEY_DATABASE=${file} latchkey serve`);
      after = await lk.createClient({ name: 'After the backup' });
      expect((await requestToken(lk.issuer, after)).status).toBe(200);

      // An existing file is kept unless --force says otherwise.
      const size = statSync(file).size;
      const again = await latchkey(['backup', file], database);
      expect(again.code).not.toBe(0);
      expect(again.stderr.trim()).toBe(`latchkey: ${file} exists; give --force to overwrite it`);
      expect(statSync(file).size).toBe(size);
    } finally {
      await lk.close();
    }

    const restored = await startLatchkey({ env: { LATCHKEY_DATABASE: file } });
    try {
      expect((await requestToken(restored.issuer, before)).status).toBe(200);
      const unknown = await requestToken(restored.issuer, after);
      expect(unknown.status).toBe(401);
      expect((await unknown.json()).error).toBe('invalid_client');
    } finally {
      await restored.close();
    }

    const forced = await latchkey(['backup', file, '--force', '--json'], database);
    expect(forced.code).toBe(0);
    expect(JSON.parse(forced.stdout)).toEqual({ file, pages: expect.any(Number) });
  }, 60_000);

  it('refuses a database that is not there instead of backing up an empty one', async () => {
    const missing = join(dir, 'missing.sqlite');
    const r = await latchkey(['backup', join(dir, 'x.sqlite')], missing);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim()).toBe(
      `latchkey: There is no SQLite database at ${missing} (LATCHKEY_DATABASE) to back up`,
    );
    expect(existsSync(missing)).toBe(false);
  });

  it('makes a missing folder for the backup (the README example), or says in one line why it cannot', async () => {
    const database = join(dir, 'folders.sqlite');
    const lk = await startLatchkey({ env: { LATCHKEY_DATABASE: database } });
    await lk.close();
    const made = await latchkey(['backup', 'backups/nightly/x.sqlite'], database, {}, dir);
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    expect(existsSync(join(dir, 'backups/nightly/x.sqlite'))).toBe(true);

    // A file where the folder should be: no folder can be made there.
    writeFileSync(join(dir, 'not-a-folder'), '');
    const refused = await latchkey(['backup', join(dir, 'not-a-folder/x.sqlite')], database);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      new RegExp(
        `^latchkey: Cannot create the folder for ${dir}/not-a-folder/x\\.sqlite: E[A-Z]+: [^\\n]+\\n$`,
      ),
    );
  });
});

describe('latchkey restore (SQLite): after a crash', () => {
  it('refuses while a server has the database open; after SIGKILL puts the backup in place, WAL included', async () => {
    const database = join(dir, 'crashed.sqlite');
    const file = join(dir, 'before-the-crash.sqlite');
    const stage = { LATCHKEY_ENVIRONMENT: 'stage' };
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    const server = serveBuilt({
      ...stage,
      PORT: String(port),
      LATCHKEY_ISSUER: issuer,
      LATCHKEY_DATABASE: database,
      LATCHKEY_LOG_LEVEL: 'info',
    });
    const exited = new Promise((resolve) => server.child.once('exit', resolve));
    const cli = async (args: string[]) => {
      const r = await latchkey([...args, '--json'], database, stage);
      expect(r.stderr).toBe('');
      return JSON.parse(r.stdout);
    };
    let before: { clientId: string; clientSecret: string };
    let after: { clientId: string; clientSecret: string };
    try {
      await server.waitFor(/"msg":"latchkey listening"/);
      const org = await cli(['org', 'create', '--name', 'Restore drill']);
      const client = async (name: string) => {
        const c = await cli([
          'client',
          'create',
          '--org',
          org.id,
          '--name',
          name,
          '--grant',
          'client_credentials',
        ]);
        return { clientId: c.client_id as string, clientSecret: c.client_secret as string };
      };
      before = await client('Before the backup');
      expect((await latchkey(['backup', file], database)).code).toBe(0);
      after = await client('After the backup');
      expect((await requestToken(issuer, after)).status).toBe(200);

      // The server holds the database: a restore now would pull it from under a running process.
      const refused = await latchkey(['restore', file], database);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toBe(
        `latchkey: ${database} is open in another process (a running server?): stop it, then restore\n`,
      );
      expect((await requestToken(issuer, after)).status).toBe(200);
    } finally {
      server.child.kill('SIGKILL');
      await exited;
    }
    // The crash left the write after the backup in the WAL, not yet in the database file.
    expect(statSync(`${database}-wal`).size).toBeGreaterThan(0);

    const restored = await latchkey(['restore', file, '--json'], database);
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    const answer = JSON.parse(restored.stdout);
    expect(answer).toEqual({
      file: database,
      from: file,
      pages: expect.any(Number),
      replaced: expect.stringMatching(/crashed\.sqlite\.replaced-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z$/),
    });
    expect(existsSync(`${database}-wal`)).toBe(false);
    expect(existsSync(`${database}-shm`)).toBe(false);
    // Nothing lost: the database it replaced, crash state included, is kept aside.
    const aside = new SQLite(answer.replaced, { readonly: true });
    expect(aside.prepare('SELECT name FROM clients WHERE id = ?').get(after.clientId)).toEqual({
      name: 'After the backup',
    });
    aside.close();

    const lk = await startLatchkey({ env: { ...stage, LATCHKEY_DATABASE: database } });
    try {
      expect((await requestToken(lk.issuer, before)).status).toBe(200);
      const gone = await requestToken(lk.issuer, after);
      expect(gone.status).toBe(401);
      expect((await gone.json()).error).toBe('invalid_client');
    } finally {
      await lk.close();
    }
  }, 120_000);

  it('refuses a file that is not a Latchkey backup and leaves the database alone', async () => {
    const database = join(dir, 'kept.sqlite');
    const lk = await startLatchkey({ env: { LATCHKEY_DATABASE: database } });
    await lk.close();
    const size = statSync(database).size;
    writeFileSync(join(dir, 'notes.txt'), 'not a database, just long enough to have a header of sorts');
    const r = await latchkey(['restore', join(dir, 'notes.txt')], database);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^latchkey: .*notes\.txt is not a SQLite database: file is not a database\n$/);
    expect(statSync(database).size).toBe(size);
    expect(existsSync(`${database}.restoring`)).toBe(false);
  });
});

describe('latchkey backup (PostgreSQL)', () => {
  it('prints commands that work when pasted: pg_dump, then a restore into a new, empty database', async () => {
    const db = await freshPostgres();
    if (!db) throw new Error('PostgreSQL is not reachable on 127.0.0.1:5432 (see .ci/run)');
    const restoredName = `${new URL(db.url).pathname.slice(1)}_restored`;
    const dropRestored = async () => {
      const admin = new pg.Client({ connectionString: db.url });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${restoredName} WITH (FORCE)`);
      await admin.end();
    };
    try {
      const lk = await startLatchkey({ env: { LATCHKEY_DATABASE: db.url } });
      let client: { clientId: string; clientSecret: string };
      try {
        client = await lk.createClient({ name: 'Dumped' });
        // The URL as an operator writes it, password inside: it must never be printed.
        const withPassword = new URL(db.url);
        withPassword.password = 's3cret-pw';
        const dump = join(dir, 'latchkey.dump');
        const text = await latchkey(['backup', dump], withPassword.toString());
        expect(text.code).toBe(0);
        expect(text.stdout + text.stderr).not.toContain('s3cret-pw');
        expect(text.stdout).toContain('Restore into a new, empty database');
        // `latchkey restore` on PostgreSQL prints the same: there is no second story to tell.
        expect((await latchkey(['restore', dump], withPassword.toString())).stdout).toBe(text.stdout);
        const commands = JSON.parse(
          (await latchkey(['backup', dump, '--json'], withPassword.toString())).stdout,
        );
        for (const line of [commands.command, commands.create, commands.restore]) {
          expect(text.stdout).toContain(`  ${line}\n`);
          expect(line).not.toMatch(/s3cret|\*\*\*\*/);
        }
        // Pasted into a shell as printed (trust authentication here; elsewhere PGPASSWORD or ~/.pgpass).
        const sh = (line: string) => promisify(execFile)('sh', ['-c', line], { cwd: dir });
        await sh(commands.command);
        await sh(commands.create);
        await sh(commands.restore);
      } finally {
        await lk.close();
      }
      const restored = await startLatchkey({
        env: { LATCHKEY_DATABASE: db.url.replace(/[^/]+$/, restoredName) },
      });
      try {
        expect((await requestToken(restored.issuer, client)).status).toBe(200);
      } finally {
        await restored.close();
      }
    } finally {
      await dropRestored();
      await db.drop();
    }
  }, 120_000);
});
