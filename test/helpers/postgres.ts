import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type Latchkey, startLatchkey } from './latchkey.ts';

const admin = process.env.LATCHKEY_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A fresh PostgreSQL database for one test file, dropped afterwards; undefined when none answers. */
export async function freshPostgres(): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  const client = new pg.Client({ connectionString: admin, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
  } catch {
    return undefined;
  }
  const name = `latchkey_test_${randomBytes(6).toString('hex')}`;
  // An ICU collation, as production databases commonly have (not the byte order of C or SQLite), so
  // a repository that leaves text ordering to the database shows it here.
  await client.query(
    `CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US'`,
  );
  await client.end();
  const url = admin.replace(/\/[^/]*$/, `/${name}`);
  return {
    url,
    async drop() {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/**
 * A Latchkey on a fresh PostgreSQL database; `close()` also drops the database. Throws (so the test
 * fails, not skips) when PostgreSQL is not there: a missing service cannot pass silently.
 */
export async function startLatchkeyOnPostgres(
  options: Parameters<typeof startLatchkey>[0] = {},
): Promise<Latchkey> {
  const db = await freshPostgres();
  if (!db) throw new Error('PostgreSQL is not reachable on 127.0.0.1:5432 (see .ci/run)');
  let lk: Latchkey;
  try {
    lk = await startLatchkey({ ...options, env: { ...options.env, LATCHKEY_DATABASE: db.url } });
  } catch (error) {
    await db.drop();
    throw error;
  }
  const close = lk.close;
  lk.close = async () => {
    await close();
    await db.drop();
  };
  return lk;
}
