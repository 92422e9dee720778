import type { Kysely } from 'kysely';

/**
 * Plugging into the platform: organizations and users carry the platform's own id (`external_id`),
 * users a display name, and webhook events wait in an outbox written in the same transaction as the
 * change they announce (Standard Webhooks). Portable DDL only (same rules as 001).
 *
 * Idempotent: another migration of the same round may add some of these first (a column, the
 * outbox), so each step checks what exists.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const tables = await db.introspection.getTables();
  const columns = (table: string): string[] =>
    tables.find((t) => t.name === table)?.columns.map((c) => c.name) ?? [];
  const addColumn = async (table: string, column: string): Promise<void> => {
    if (!columns(table).includes(column)) {
      await db.schema.alterTable(table).addColumn(column, 'text').execute();
    }
  };
  await addColumn('organizations', 'external_id');
  await addColumn('users', 'external_id');
  await addColumn('users', 'name');
  // Several NULLs are allowed by a unique index on SQLite and PostgreSQL alike.
  await db.schema
    .createIndex('organizations_external_id')
    .ifNotExists()
    .unique()
    .on('organizations')
    .column('external_id')
    .execute();
  await db.schema
    .createIndex('users_external_id')
    .ifNotExists()
    .unique()
    .on('users')
    .column('external_id')
    .execute();
  // Keyset pagination of the admin API walks (created_at, id).
  await db.schema
    .createIndex('organizations_created')
    .ifNotExists()
    .on('organizations')
    .columns(['created_at', 'id'])
    .execute();
  await db.schema
    .createIndex('users_created')
    .ifNotExists()
    .on('users')
    .columns(['created_at', 'id'])
    .execute();
  await db.schema
    .createIndex('audit_events_org_created')
    .ifNotExists()
    .on('audit_events')
    .columns(['org_id', 'created_at', 'id'])
    .execute();

  await db.schema
    .createTable('webhook_outbox')
    .ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('type', 'text', (c) => c.notNull())
    // The JSON body sent, {"type","timestamp","data"}, fixed at the change so every attempt is identical.
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    // A deliverer holds a row until lease_until; another instance may take it after that.
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'bigint')
    .addColumn('delivered_at', 'bigint')
    .addColumn('failed_at', 'bigint')
    .addColumn('last_error', 'text')
    .execute();
  await db.schema
    .createIndex('webhook_outbox_due')
    .ifNotExists()
    .on('webhook_outbox')
    .columns(['delivered_at', 'failed_at', 'next_attempt_at'])
    .execute();
}
