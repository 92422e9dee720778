import type { Kysely } from 'kysely';
import type { RevocationRepository } from '../oauth/model/revocations.ts';
import { arg, prepare } from './prepared.ts';
import type { Database } from './schema.ts';

export function revocationRepository(db: Kysely<Database>): RevocationRepository {
  // Asked at every introspection and bearer check: compiled once (prepared.ts).
  const findJti = prepare(db, () =>
    db.selectFrom('revoked_tokens').select('jti').where('jti', '=', arg<string>(0)),
  );
  // A missing grant (deleted with its user or organization) counts as inactive.
  const status = prepare(db, () =>
    db.selectNoFrom((eb) => [
      eb
        .exists(eb.selectFrom('revoked_tokens').select('jti').where('jti', '=', arg<string>(0)))
        .as('revoked'),
      eb
        .selectFrom('grants')
        .select((g) => g.fn.countAll().as('n'))
        .where('id', '=', arg<string>(1))
        .where('revoked_at', 'is', null)
        .as('grant_active'),
    ]),
  );
  return {
    async accessTokenStatus(jti, grantId) {
      if (grantId === undefined) return { revoked: (await findJti(jti)).rows.length > 0, grantActive: true };
      const [row] = (await status(jti, grantId)).rows;
      // SQLite answers 0/1, PostgreSQL a boolean and a count.
      return { revoked: Boolean(row?.revoked), grantActive: Number(row?.grant_active) > 0 };
    },
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
