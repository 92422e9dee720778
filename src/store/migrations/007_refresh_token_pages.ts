import type { Kysely } from 'kysely';

/**
 * One index less per stored refresh token: a family is only ever revoked together with its grant
 * (src/oauth/refresh-tokens.ts), so `revokeFamily` finds it through `refresh_tokens_grant`. Each
 * token's family id is random, so this index cost a random page of its own to write at every code
 * exchange and refresh.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('refresh_tokens_family').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('refresh_tokens_family').on('refresh_tokens').column('family_id').execute();
}
