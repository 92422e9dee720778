import type { Kysely } from 'kysely';

/**
 * OpenID Connect sessions (issue 31): an authorization request keeps `max_age` and `login_hint`
 * while the person signs in (OpenID Connect Core §3.1.2.1), and credentials register the URLs a
 * sign-out may return to (RP-Initiated Logout 1.0 §3, `post_logout_redirect_uris`, JSON text; none
 * for rows written before). Portable DDL only (as 001), one column per statement for SQLite.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('authorization_requests').addColumn('max_age', 'integer').execute();
  await db.schema.alterTable('authorization_requests').addColumn('login_hint', 'text').execute();
  await db.schema.alterTable('clients').addColumn('post_logout_redirect_uris', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('clients').dropColumn('post_logout_redirect_uris').execute();
  await db.schema.alterTable('authorization_requests').dropColumn('login_hint').execute();
  await db.schema.alterTable('authorization_requests').dropColumn('max_age').execute();
}
