import type { Kysely } from 'kysely';

/**
 * People from the platform's OpenID provider, and the console's Members page: sign-in identities
 * (issuer, sub) → user, invitations (token stored hashed) and access requests. Portable DDL only
 * (same rules as 001).
 *
 * `organizations.external_id` and `users.name` may also come from another migration of the same
 * round: each is added only when missing, so the two never ALTER twice.
 */
async function addColumnIfMissing(db: Kysely<unknown>, table: string, column: string): Promise<boolean> {
  const tables = await db.introspection.getTables();
  const found = tables.find((t) => t.name === table)?.columns.some((c) => c.name === column);
  if (found) return false;
  await db.schema.alterTable(table).addColumn(column, 'text').execute();
  return true;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await addColumnIfMissing(db, 'organizations', 'external_id');
  await db.schema
    .createIndex('organizations_external_id')
    .ifNotExists()
    .unique()
    .on('organizations')
    .column('external_id')
    .execute();
  await addColumnIfMissing(db, 'users', 'name');

  await db.schema
    .createTable('login_identities')
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_login_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('login_identities_pk', ['issuer', 'subject'])
    .execute();
  await db.schema.createIndex('login_identities_user').on('login_identities').column('user_id').execute();

  await db.schema
    .createTable('invitations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    // SHA-256 of the link's token, hex: the link is shown once and never stored.
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('invited_by', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('accepted_at', 'bigint')
    .addColumn('accepted_by', 'text')
    .execute();
  await db.schema.createIndex('invitations_org').on('invitations').column('org_id').execute();

  await db.schema
    .createTable('access_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    // null while pending; then 'approved' or 'declined'.
    .addColumn('decision', 'text')
    .addColumn('decided_by', 'text')
    .addColumn('decided_at', 'bigint')
    .execute();
  await db.schema.createIndex('access_requests_org').on('access_requests').column('org_id').execute();
}
