import type { Kysely } from 'kysely';

/**
 * The browser side of the authorization code flow: sign-in sessions and the authorization requests
 * waiting for sign-in and consent. Portable DDL only (same rules as 001).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('sessions')
    // SHA-256 of the cookie value: a copy of the database cannot be replayed as a cookie.
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('active_org_id', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();
  await db.schema.createIndex('sessions_expires').on('sessions').column('expires_at').execute();

  // A validated authorization request (RFC 6749 §4.1.1) parked while the person signs in and consents.
  await db.schema
    .createTable('authorization_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('client_id', 'text', (c) => c.notNull().references('clients.id').onDelete('cascade'))
    .addColumn('redirect_uri', 'text', (c) => c.notNull())
    // RFC 6749 §4.1.3: when the request named redirect_uri, the token request must repeat it.
    .addColumn('redirect_uri_sent', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('state', 'text')
    .addColumn('code_challenge', 'text')
    .addColumn('prompt', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('authorization_requests_expires')
    .on('authorization_requests')
    .column('expires_at')
    .execute();

  await db.schema
    .alterTable('authorization_codes')
    .addColumn('redirect_uri_sent', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}
