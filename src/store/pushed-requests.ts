import type { Kysely } from 'kysely';
import type { PushedRequestRepository } from '../oauth/model/pushed-requests.ts';
import type { Database } from './schema.ts';

export function pushedRequestRepository(db: Kysely<Database>): PushedRequestRepository {
  return {
    async create(r) {
      await db
        .insertInto('pushed_requests')
        .values({
          uri_hash: r.uriHash,
          client_id: r.clientId,
          params: JSON.stringify(r.params),
          expires_at: r.expiresAt,
        })
        .execute();
    },
    async take(uriHash, now) {
      const r = await db
        .selectFrom('pushed_requests')
        .selectAll()
        .where('uri_hash', '=', uriHash)
        .executeTakeFirst();
      if (!r) return undefined;
      // Whoever deletes the row owns it: of two racing uses, exactly one gets it.
      const deleted = await db
        .deleteFrom('pushed_requests')
        .where('uri_hash', '=', uriHash)
        .executeTakeFirst();
      if (Number(deleted.numDeletedRows) !== 1 || r.expires_at <= now) return undefined;
      return { uriHash, clientId: r.client_id, params: JSON.parse(r.params), expiresAt: r.expires_at };
    },
    async prune(before) {
      await db.deleteFrom('pushed_requests').where('expires_at', '<', before).execute();
    },
  };
}
