import { type Kysely, SqliteAdapter, sql } from 'kysely';

/**
 * Software that registers itself (Client ID Metadata Documents, RFC 7591/7592 dynamic registration):
 * such a client belongs to no organization (`org_id` null), says how it came to be (`origin`), keeps
 * what it said of itself (`software_metadata`, RFC 7591 §2, JSON text), the hash of its registration
 * access token (RFC 7592 §3) or when its metadata document must be fetched again; the operator can
 * block any client (`blocked_at`). Initial access tokens (RFC 7591 §3) are kept hashed.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) await dropOrgNotNullOnSqlite(db);
  else await sql`ALTER TABLE clients ALTER COLUMN org_id DROP NOT NULL`.execute(db);

  // One column per statement: SQLite's ALTER TABLE adds one at a time.
  const add = (name: string, type: 'text' | 'bigint') =>
    db.schema.alterTable('clients').addColumn(name, type).execute();
  await db.schema
    .alterTable('clients')
    .addColumn('origin', 'text', (c) => c.notNull().defaultTo('console'))
    .execute();
  await add('blocked_at', 'bigint');
  await add('software_metadata', 'text');
  await add('registration_token_hash', 'text');
  await add('metadata_expires_at', 'bigint');
  await db.schema
    .createIndex('clients_registration_token')
    .on('clients')
    .column('registration_token_hash')
    .unique()
    .execute();

  await db.schema
    .createTable('initial_access_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    .addColumn('created_by', 'text')
    .addColumn('revoked_at', 'bigint')
    .execute();
}

/**
 * SQLite cannot drop a NOT NULL constraint: the table is made again (sqlite.org/lang_altertable.html,
 * "Making Other Kinds Of Table Schema Changes"). Foreign keys are off meanwhile, so dropping the old
 * table does not cascade to secrets, grants and codes, which then refer to the new one by its name.
 * Kysely runs SQLite migrations outside a transaction, where the pragma takes effect.
 */
async function dropOrgNotNullOnSqlite(db: Kysely<unknown>): Promise<void> {
  const columns = [
    'id',
    'org_id',
    'name',
    'redirect_uris',
    'grant_types',
    'scopes',
    'is_public',
    'pkce_optional',
    'created_by',
    'created_at',
    'updated_at',
    'jwks',
    'jwks_uri',
    'require_par',
    'require_dpop',
    'post_logout_redirect_uris',
  ];
  const { rows } = await sql<{ foreign_keys: number }>`PRAGMA foreign_keys`.execute(db);
  const before = rows[0]?.foreign_keys === 1 ? sql`ON` : sql`OFF`;
  await sql`PRAGMA foreign_keys = OFF`.execute(db);
  try {
    await db.schema
      .createTable('clients_011')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('org_id', 'text', (c) => c.references('organizations.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('redirect_uris', 'text', (c) => c.notNull())
      .addColumn('grant_types', 'text', (c) => c.notNull())
      .addColumn('scopes', 'text', (c) => c.notNull())
      .addColumn('is_public', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('pkce_optional', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_by', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('jwks', 'text')
      .addColumn('jwks_uri', 'text')
      .addColumn('require_par', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('require_dpop', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('post_logout_redirect_uris', 'text')
      .execute();
    const list = sql.join(columns.map((c) => sql.ref(c)));
    await sql`INSERT INTO clients_011 (${list}) SELECT ${list} FROM clients`.execute(db);
    await db.schema.dropTable('clients').execute();
    await db.schema.alterTable('clients_011').renameTo('clients').execute();
    await db.schema.createIndex('clients_org').on('clients').column('org_id').execute();
    const broken = await sql`PRAGMA foreign_key_check`.execute(db);
    if (broken.rows.length > 0) throw new Error('011: foreign keys broken by the rebuild of clients');
  } finally {
    await sql`PRAGMA foreign_keys = ${before}`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('initial_access_tokens').execute();
  await db.schema.dropIndex('clients_registration_token').execute();
  for (const c of [
    'metadata_expires_at',
    'registration_token_hash',
    'software_metadata',
    'blocked_at',
    'origin',
  ])
    await db.schema.alterTable('clients').dropColumn(c).execute();
}
