import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Kysely, Migrator } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { byMigrationName, migrate, openDatabase } from '../../src/store/db.ts';
import { migrations } from '../../src/store/migrations/index.ts';
import type { Database } from '../../src/store/schema.ts';
import { freshPostgres } from '../helpers/postgres.ts';

// Migration 011 lets a client belong to no organization. On SQLite that means making the clients
// table again: what hangs off a client (secrets, grants, codes) must survive it, and foreign keys
// must still hold afterwards.

const t = 1_700_000_000_000;

async function fillAt010(db: Kysely<Database>): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    nameComparator: byMigrationName,
  });
  expect((await migrator.migrateTo('010_openid_connect')).error).toBeUndefined();
  const old = db as unknown as Kysely<Record<string, Record<string, unknown>>>;
  await old.insertInto('organizations').values({ id: 'org-1', name: 'Acme', created_at: t }).execute();
  await old
    .insertInto('users')
    .values({ id: 'user-1', email: 'a@example.com', password_hash: '', created_at: t })
    .execute();
  await old
    .insertInto('clients')
    .values({
      id: 'lkc_old',
      org_id: 'org-1',
      name: 'Old client',
      redirect_uris: '["https://app.example.com/cb"]',
      grant_types: '["authorization_code"]',
      scopes: '[]',
      is_public: 0,
      pkce_optional: 0,
      created_by: null,
      created_at: t,
      updated_at: t,
      jwks: null,
      jwks_uri: null,
      require_par: 1,
      require_dpop: 0,
      post_logout_redirect_uris: '["https://app.example.com/bye"]',
    })
    .execute();
  await old
    .insertInto('client_secrets')
    .values({ id: 'sec-1', client_id: 'lkc_old', secret_hash: 'h1', hint: 'abcd', created_at: t })
    .execute();
  await old
    .insertInto('grants')
    .values({
      id: 'grant-1',
      client_id: 'lkc_old',
      user_id: 'user-1',
      org_id: 'org-1',
      scope: '',
      created_at: t,
    })
    .execute();
}

async function checkAfter011(db: Kysely<Database>): Promise<void> {
  const client = await db
    .selectFrom('clients')
    .selectAll()
    .where('id', '=', 'lkc_old')
    .executeTakeFirstOrThrow();
  expect(client).toMatchObject({
    org_id: 'org-1',
    name: 'Old client',
    require_par: 1,
    post_logout_redirect_uris: '["https://app.example.com/bye"]',
    origin: 'console',
    blocked_at: null,
  });
  expect(await db.selectFrom('client_secrets').select('id').execute()).toEqual([{ id: 'sec-1' }]);
  expect(await db.selectFrom('grants').select('id').execute()).toEqual([{ id: 'grant-1' }]);

  // A client of no organization can now be stored.
  await db
    .insertInto('clients')
    .values({
      id: 'https://agent.example/client.json',
      org_id: null,
      name: 'Agent',
      redirect_uris: '[]',
      grant_types: '["authorization_code"]',
      scopes: '[]',
      is_public: 1,
      pkce_optional: 0,
      created_by: null,
      created_at: t,
      updated_at: t,
      jwks: null,
      jwks_uri: null,
      require_par: 0,
      require_dpop: 0,
      post_logout_redirect_uris: null,
      origin: 'metadata_document',
    })
    .execute();

  // Foreign keys still hold: no grant for a client that does not exist, and deleting a client
  // still takes its secrets and grants with it.
  await expect(
    db
      .insertInto('grants')
      .values({
        id: 'grant-x',
        client_id: 'nobody',
        user_id: 'user-1',
        org_id: 'org-1',
        scope: '',
        created_at: t,
      })
      .execute(),
  ).rejects.toThrow();
  await db.deleteFrom('clients').where('id', '=', 'lkc_old').execute();
  expect(await db.selectFrom('client_secrets').select('id').execute()).toEqual([]);
  expect(await db.selectFrom('grants').select('id').execute()).toEqual([]);
}

describe('migration 011 (clients of no organization)', () => {
  it('keeps every row hanging off a client on SQLite, and its foreign keys', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-011-'));
    const { db, close } = await openDatabase(join(dir, 'old.sqlite'));
    try {
      await fillAt010(db);
      expect(await migrate(db)).toContain('011_self_registered_clients');
      await checkAfter011(db);
    } finally {
      await close();
    }
  });

  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups) await c();
  });

  it('does the same on PostgreSQL', async () => {
    const pg = await freshPostgres();
    if (!pg) throw new Error('PostgreSQL is not answering at 127.0.0.1:5432');
    cleanups.push(pg.drop);
    const { db, close } = await openDatabase(pg.url);
    cleanups.unshift(close);
    await fillAt010(db);
    expect(await migrate(db)).toContain('011_self_registered_clients');
    await checkAfter011(db);
  });
});
