// `npm run bench -- --postgres URL` runs Latchkey on PostgreSQL alone and with Redis (one process
// each) beside SQLite, and reports the database's CPU per request for the PostgreSQL rows. Whether
// the rows run, not their figures: no timing is asserted (needs `npm run build`: the bench runs the bin).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../bench/harness/report.ts';
import { type PrivateRedis, startPrivateRedis } from '../helpers/redis.ts';

const root = join(import.meta.dirname, '../..');
const server = process.env.LATCHKEY_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dir = mkdtempSync(join(tmpdir(), 'latchkey-bench-postgres-'));
let redis: PrivateRedis;
beforeAll(async () => {
  redis = await startPrivateRedis();
});
afterAll(async () => {
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('npm run bench -- --quick --postgres URL', () => {
  it('measures client_credentials and introspection on PostgreSQL with and without Redis, beside SQLite', {
    timeout: 240_000,
  }, async () => {
    const json = join(dir, 'report.json');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--import',
        'tsx',
        'bench/run.ts',
        '--quick',
        '--postgres',
        server,
        '--redis',
        redis.url,
        '--servers',
        'latchkey',
        '--only',
        'cc-basic-form,introspect',
        '--json',
        json,
      ],
      { cwd: root, maxBuffer: 16 * 2 ** 20 },
    );
    const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    const servers = ['Latchkey', 'Latchkey (PostgreSQL)', 'Latchkey (PostgreSQL + Redis)'];
    for (const id of ['cc-basic-form', 'introspect']) {
      const rows = report.cases.find((c) => c.id === id)!.rows;
      expect(rows.map((r) => r.server)).toEqual(servers);
      for (const row of rows) {
        const [m] = row.rounds;
        expect(m!.rps).toBeGreaterThan(0);
        expect(m!.errors).toBe(0);
        // The database's CPU is measured for the PostgreSQL rows only (SQLite runs inside the server).
        if (row.server === 'Latchkey') expect(m!.databaseCpuUs).toBeUndefined();
        else expect(m!.databaseCpuUs).toBeGreaterThanOrEqual(0);
      }
    }
    expect(stdout).toContain('On PostgreSQL beside SQLite');
    expect(stdout).toMatch(
      /\| client_credentials, Basic, form \| Latchkey \(PostgreSQL \+ Redis\) \| \d+ \| \d/,
    );
    expect(stdout).toMatch(/\| introspection of an access token \| Latchkey \(PostgreSQL\) \| \d+ \| \d/);
  });
});
