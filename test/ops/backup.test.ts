import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { requestToken, startLatchkey } from '../helpers/latchkey.ts';

const bin = join(import.meta.dirname, '../../bin/latchkey.mjs');
const dir = mkdtempSync(join(tmpdir(), 'latchkey-backup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function latchkey(args: string[], database: string) {
  const env = { ...process.env, LATCHKEY_DATABASE: database, LATCHKEY_LOG_LEVEL: 'warn' };
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args], { env });
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
});

describe('latchkey backup (PostgreSQL)', () => {
  it('prints the pg_dump command with the password masked and exits 0', async () => {
    const r = await latchkey(
      ['backup', 'latchkey.dump'],
      'postgres://latchkey:s3cret-pw@db.internal:5432/latchkey',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      "pg_dump --format=custom --file=latchkey.dump 'postgres://latchkey:****@db.internal:5432/latchkey'",
    );
    expect(r.stdout + r.stderr).not.toContain('s3cret-pw');
  });
});
