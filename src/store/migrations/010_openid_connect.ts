import type { Kysely } from 'kysely';

/**
 * OpenID Connect Core 1.0: the `nonce` of an authorization request travels to its code and comes back
 * in the ID token (§3.1.2.1, §3.1.3.6); `auth_time` (§2, when the person signed in, epoch ms) is kept
 * with the code and the grant, so a refresh can put the same value in a new ID token (§12.2).
 * Portable DDL only (as 001), one column per statement (SQLite's ALTER TABLE adds one at a time).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('authorization_requests').addColumn('nonce', 'text').execute();
  await db.schema.alterTable('authorization_codes').addColumn('nonce', 'text').execute();
  await db.schema.alterTable('authorization_codes').addColumn('auth_time', 'bigint').execute();
  await db.schema.alterTable('grants').addColumn('auth_time', 'bigint').execute();
}
