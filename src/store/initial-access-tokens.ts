import { type Kysely, type Selectable, sql } from 'kysely';
import type {
  InitialAccessToken,
  InitialAccessTokenRepository,
} from '../oauth/model/initial-access-tokens.ts';
import type { Database } from './schema.ts';

const toToken = (r: Selectable<Database['initial_access_tokens']>): InitialAccessToken => ({
  id: r.id,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  createdBy: r.created_by,
  revokedAt: r.revoked_at,
});

export function initialAccessTokenRepository(db: Kysely<Database>): InitialAccessTokenRepository {
  return {
    async create(t) {
      await db
        .insertInto('initial_access_tokens')
        .values({
          id: t.id,
          token_hash: t.tokenHash,
          created_at: t.createdAt,
          expires_at: t.expiresAt,
          created_by: t.createdBy,
          revoked_at: null,
        })
        .execute();
    },
    async findByHash(tokenHash) {
      const r = await db
        .selectFrom('initial_access_tokens')
        .selectAll()
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst();
      return r && toToken(r);
    },
    async list() {
      const rows = await db
        .selectFrom('initial_access_tokens')
        .selectAll()
        .orderBy('created_at', 'desc')
        .orderBy('id')
        .execute();
      return rows.map(toToken);
    },
    async revoke(id, at) {
      // One statement: a token revoked before keeps its time, and any that exists says so.
      const r = await db
        .updateTable('initial_access_tokens')
        .set({ revoked_at: sql<number>`coalesce(revoked_at, ${at})` })
        .where('id', '=', id)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
  };
}
