import type { Kysely } from 'kysely';
import { arg, prepare } from './prepared.ts';
import type { Database } from './schema.ts';

/** Revoked access tokens by `jti`, kept until they would have expired anyway (RFC 7009 §2.1). */
export interface RevocationRepository {
  revoke(jti: string, expiresAt: number): Promise<void>;
  isRevoked(jti: string): Promise<boolean>;
  prune(before: number): Promise<void>;
}

export function revocationRepository(db: Kysely<Database>): RevocationRepository {
  // Asked at every introspection and bearer check: compiled once (prepared.ts).
  const findJti = prepare(db, () =>
    db.selectFrom('revoked_tokens').select('jti').where('jti', '=', arg<string>(0)),
  );
  return {
    async revoke(jti, expiresAt) {
      await db
        .insertInto('revoked_tokens')
        .values({ jti, expires_at: expiresAt })
        .onConflict((oc) => oc.column('jti').doNothing())
        .execute();
    },
    async isRevoked(jti) {
      return (await findJti(jti)).rows.length > 0;
    },
    async prune(before) {
      await db.deleteFrom('revoked_tokens').where('expires_at', '<', before).execute();
    },
  };
}
