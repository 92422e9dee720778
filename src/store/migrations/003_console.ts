import type { Kysely } from 'kysely';

/**
 * The credentials console's activity counts: tokens issued and rate-limited token requests per
 * client and minute. The token endpoint counts in memory and flushes here about once a minute, so
 * it never waits on a write (see src/console/activity.ts). Portable DDL only (same rules as 001).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('client_activity')
    .addColumn('client_id', 'text', (c) => c.notNull())
    // Start of the minute, epoch milliseconds.
    .addColumn('minute', 'bigint', (c) => c.notNull())
    .addColumn('tokens_issued', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('rate_limited', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('client_activity_pk', ['client_id', 'minute'])
    .execute();
  await db.schema.createIndex('client_activity_minute').on('client_activity').column('minute').execute();
}
