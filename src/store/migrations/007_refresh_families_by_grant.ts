import type { Kysely } from 'kysely';

/**
 * Refresh-token families are found through their grant: a family never leaves the grant it started
 * in (a code redemption starts it, rotations keep it), so `refresh_tokens_grant` already narrows a
 * family's revocation to a few rows. The family index only cost every stored refresh token one more
 * B-tree insert (on SQLite, one more page written per code exchange and per refresh).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('refresh_tokens_family').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('refresh_tokens_family').on('refresh_tokens').column('family_id').execute();
}
