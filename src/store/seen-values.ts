import type { Kysely } from 'kysely';
import type { SeenValueRepository } from '../oauth/model/seen-values.ts';
import type { Database } from './schema.ts';

export function seenValueRepository(db: Kysely<Database>): SeenValueRepository {
  return {
    async remember(key, expiresAt, now) {
      // An expired leftover with the same key is replaced; a live one makes the insert a no-op.
      await db.deleteFrom('seen_values').where('key', '=', key).where('expires_at', '<=', now).execute();
      const r = await db
        .insertInto('seen_values')
        .values({ key, expires_at: expiresAt })
        .onConflict((oc) => oc.column('key').doNothing())
        .executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
    },
    async has(key, now) {
      const r = await db
        .selectFrom('seen_values')
        .select('key')
        .where('key', '=', key)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return r !== undefined;
    },
    async prune(before) {
      await db.deleteFrom('seen_values').where('expires_at', '<', before).execute();
    },
  };
}
