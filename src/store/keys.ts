import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

export interface StoredKey {
  kid: string;
  alg: string;
  privateJwk: string;
  publicJwk: string;
  createdAt: number;
  retiredAt: number | null;
}

export interface KeyRepository {
  /** Newest first. */
  list(): Promise<StoredKey[]>;
  /** Inserts `key` and retires every key still signing, in one transaction. */
  addAndRetireOthers(key: StoredKey, at: number): Promise<void>;
  /** Removes keys retired before `before` (every token they signed has expired). */
  pruneRetired(before: number): Promise<number>;
}

export function keyRepository(db: Kysely<Database>): KeyRepository {
  return {
    async list() {
      const rows = await db.selectFrom('signing_keys').selectAll().orderBy('created_at', 'desc').execute();
      return rows.map((r) => ({
        kid: r.kid,
        alg: r.alg,
        privateJwk: r.private_jwk,
        publicJwk: r.public_jwk,
        createdAt: r.created_at,
        retiredAt: r.retired_at,
      }));
    },
    async addAndRetireOthers(key, at) {
      await db.transaction().execute(async (tx) => {
        await tx
          .updateTable('signing_keys')
          .set({ retired_at: at })
          .where('retired_at', 'is', null)
          .execute();
        await tx
          .insertInto('signing_keys')
          .values({
            kid: key.kid,
            alg: key.alg,
            private_jwk: key.privateJwk,
            public_jwk: key.publicJwk,
            created_at: key.createdAt,
            retired_at: null,
          })
          .execute();
      });
    },
    async pruneRetired(before) {
      const r = await db.deleteFrom('signing_keys').where('retired_at', '<', before).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
