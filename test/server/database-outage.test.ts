import { PassThrough } from 'node:stream';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isUnavailable, reportUnavailable, StoreUnavailableError } from '../../src/store/errors.ts';
import { type Latchkey, requestToken, startLatchkey } from '../helpers/latchkey.ts';
import { type PrivatePostgres, startPrivatePostgres } from '../helpers/private-postgres.ts';

describe('PostgreSQL stops and comes back (a private cluster of this test)', () => {
  let pg: PrivatePostgres;
  let lk: Latchkey;
  let logs = '';
  beforeAll(async () => {
    pg = await startPrivatePostgres();
    const logStream = new PassThrough();
    logStream.on('data', (d) => (logs += d));
    lk = await startLatchkey({ env: { LATCHKEY_DATABASE: pg.url }, logStream });
  }, 60_000);
  afterAll(async () => {
    await lk?.close().catch(() => {});
    await pg?.destroy();
  });

  it('answers 503 temporarily_unavailable while it is down, then serves again without a restart', async () => {
    const client = await lk.createClient();
    expect((await requestToken(lk.issuer, client)).status).toBe(200);
    // Not yet read, so not cached: its token request must reach the database (a client cached a
    // moment ago may still get a token for up to 1 s, the lifetime of entries while notices are away).
    const uncached = await lk.createClient();

    await pg.stop();

    const token = await requestToken(lk.issuer, uncached);
    expect(token.status).toBe(503);
    expect(token.headers.get('retry-after')).toBe('5');
    const body = await token.json();
    expect(body).toEqual({ error: 'temporarily_unavailable', error_description: expect.any(String) });

    const ready = await fetch(`${lk.issuer}/readyz`);
    expect(ready.status).toBe(503);
    // Its log line names the database and keeps the error's code (only secrets are redacted).
    const fault = logs
      .split('\n')
      .filter((line) => line.includes('"msg":"store not reachable"'))
      .map((line) => JSON.parse(line).err)
      .at(-1);
    expect(fault.code).toBe('ECONNREFUSED');
    expect(fault.message).toContain(`(PostgreSQL at 127.0.0.1:${new URL(pg.url).port})`);

    // Pages: the console (a session cookie makes it read the store) and the authorization endpoint.
    for (const [path, headers] of [
      ['/settings/api', { cookie: 'latchkey_session=some-session-id' }],
      [`/oauth/authorize?response_type=code&client_id=${uncached.clientId}`, {}],
    ] as const) {
      const page = await fetch(`${lk.issuer}${path}`, { headers, redirect: 'manual' });
      expect(page.status, path).toBe(503);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      const html = await page.text();
      expect(html).toContain('Temporarily unavailable');
      expect(html).not.toMatch(/ECONNREFUSED|terminat|\bat .*\.ts:\d+|Error:/);
    }
    expect(JSON.stringify(body)).not.toMatch(/ECONNREFUSED|terminat|Error/);

    await pg.start();

    expect((await requestToken(lk.issuer, client)).status).toBe(200);
    expect((await fetch(`${lk.issuer}/readyz`)).status).toBe(200);
    // Idle connections the database ended were reported once, not once per connection or request.
    expect(logs.match(/database connection lost/g)).toHaveLength(1);
  }, 60_000);
});

describe('SQLite locked past its busy timeout', () => {
  it('is a StoreUnavailableError, not a 500', async () => {
    const file = `${process.env.TMPDIR ?? '/tmp'}/latchkey-busy-${process.pid}.sqlite`;
    const holder = new SQLite(file);
    holder.pragma('journal_mode = WAL');
    holder.exec('CREATE TABLE IF NOT EXISTS t (x INTEGER)');
    const waiting = new SQLite(file);
    waiting.pragma('busy_timeout = 0');
    const db = new Kysely<{ t: { x: number } }>({
      dialect: reportUnavailable(new SqliteDialect({ database: waiting })),
    });
    holder.exec('BEGIN IMMEDIATE');
    try {
      const error = await db
        .insertInto('t')
        .values({ x: 1 })
        .execute()
        .catch((e) => e);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).cause).toMatchObject({ code: 'SQLITE_BUSY' });
      // Other failures keep their own type: a bug stays a 500.
      const other = await sql`SELECT * FROM missing`.execute(db).catch((e) => e);
      expect(isUnavailable(other)).toBe(false);
    } finally {
      holder.exec('ROLLBACK');
      await db.destroy();
      holder.close();
    }
  });
});
