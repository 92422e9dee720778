import { type Kysely, sql } from 'kysely';
import type { AuthorizationCode, CodeRepository, Redemption, RedemptionPlan } from '../oauth/model/codes.ts';
import { touchActiveGrant } from './grants.ts';
import { arg, atomic, onPostgres, prepare, prepareSql, type Unit, verdict } from './prepared.ts';
import {
  type InsertArgs,
  insertArgs,
  refreshTokenColumnsSql,
  refreshTokenInsert,
  refreshTokenValuesSql,
} from './refresh-tokens.ts';
import type { Database } from './schema.ts';

const toCode = (r: Database['authorization_codes']): AuthorizationCode => ({
  codeHash: r.code_hash,
  clientId: r.client_id,
  grantId: r.grant_id,
  userId: r.user_id,
  orgId: r.org_id,
  redirectUri: r.redirect_uri,
  redirectUriSent: r.redirect_uri_sent === 1,
  scope: r.scope,
  codeChallenge: r.code_challenge,
  expiresAt: r.expires_at,
  consumedAt: r.consumed_at,
  createdAt: r.created_at,
  ...(r.resource !== null && { resource: r.resource }),
  ...(r.nonce !== null && { nonce: r.nonce }),
  ...(r.auth_time !== null && { authTime: r.auth_time }),
});

type Nulls = null[];
const noToken: Nulls = Array.from({ length: 13 }, () => null);

export function codeRepository(db: Kysely<Database>): CodeRepository {
  // The code exchange's queries, compiled once (prepared.ts); `selectAll` reads every column.
  const findByHash = prepare(db, () =>
    db.selectFrom('authorization_codes').selectAll().where('code_hash', '=', arg<string>(0)),
  );
  const consume = prepare(db, () =>
    db
      .updateTable('authorization_codes')
      .set({ consumed_at: arg<number>(1) })
      .where('code_hash', '=', arg<string>(0))
      .where('consumed_at', 'is', null),
  );
  const touchGrant = touchActiveGrant(db);
  const insertRefreshToken = refreshTokenInsert(db);
  // PostgreSQL: the redemption as one statement (data-modifying CTEs), one round trip instead of five
  // (BEGIN, three writes, COMMIT). Same steps, same order and the same conditional UPDATEs as the
  // unit below; the refresh token is stored only when argument 2 says there is one.
  const postgres = onPostgres(db);
  const redeemInOneStatement = prepareSql<
    { consumed: number; touched: number },
    [string, number, boolean, ...(InsertArgs | Nulls)]
  >(
    db,
    sql`with code as (
        update authorization_codes set consumed_at = ${arg(1)}
        where code_hash = ${arg(0)} and consumed_at is null
        returning grant_id
      ), touched as (
        update grants set last_used_at = ${arg(1)}
        where id in (select grant_id from code) and revoked_at is null
        returning id
      ), stored as (
        insert into refresh_tokens ${refreshTokenColumnsSql}
        select ${refreshTokenValuesSql(3)} from touched where ${arg(2)}::boolean
        returning 1
      )
      select (select count(*) from code) as consumed, (select count(*) from touched) as touched`,
  );
  /**
   * The SQLite redemption, as an atomic unit. Declared once here, not as a `function*` literal per
   * call: V8 gives every new generator function its own prototype object and hidden class, which
   * kept each exchange's objects alive long enough to be promoted to old space, so under load the
   * heap needed full mark-compact collections.
   */
  function* redemption<P extends RedemptionPlan>(
    codeHash: string,
    at: number,
    judge: (code: AuthorizationCode) => P,
  ): Unit<Redemption<P>> {
    const [r] = (yield* findByHash.step(codeHash)).rows;
    if (!r) return { outcome: 'unknown' };
    const code = toCode(r);
    const judged = verdict(code, judge);
    if (!judged.ok) return { outcome: 'refused', code, reason: judged.reason };
    if ((yield* consume.step(codeHash, at)).changes !== 1) return { outcome: 'used', code };
    // A code is spent whatever follows (§4.1.2: single use). Code, then grant: no path locks
    // them the other way round, so this cannot deadlock on PostgreSQL.
    if ((yield* touchGrant.step(code.grantId, at)).changes !== 1) return { outcome: 'revoked', code };
    const { refreshToken } = judged.value;
    if (refreshToken) yield* insertRefreshToken.step(...insertArgs(refreshToken));
    return { outcome: 'redeemed', code, plan: judged.value };
  }

  return {
    async create(c) {
      await db
        .insertInto('authorization_codes')
        .values({
          code_hash: c.codeHash,
          client_id: c.clientId,
          grant_id: c.grantId,
          user_id: c.userId,
          org_id: c.orgId,
          redirect_uri: c.redirectUri,
          redirect_uri_sent: c.redirectUriSent ? 1 : 0,
          scope: c.scope,
          code_challenge: c.codeChallenge,
          expires_at: c.expiresAt,
          consumed_at: null,
          created_at: c.createdAt,
          resource: c.resource ?? null,
          nonce: c.nonce ?? null,
          auth_time: c.authTime ?? null,
        })
        .execute();
    },
    async find(codeHash) {
      const [r] = (await findByHash(codeHash)).rows;
      return r && toCode(r);
    },
    async consume(codeHash, at) {
      return (await consume(codeHash, at)).changes === 1;
    },
    async redeem<P extends RedemptionPlan>(
      codeHash: string,
      at: number,
      judge: (code: AuthorizationCode) => P,
    ): Promise<Redemption<P>> {
      if (postgres) {
        const [r] = (await findByHash(codeHash)).rows;
        if (!r) return { outcome: 'unknown' };
        const code = toCode(r);
        const judged = verdict(code, judge);
        if (!judged.ok) return { outcome: 'refused', code, reason: judged.reason };
        const { refreshToken } = judged.value;
        const token = refreshToken ? insertArgs(refreshToken) : noToken;
        const [x] = (await redeemInOneStatement(codeHash, at, refreshToken !== undefined, ...token)).rows;
        if (x!.consumed !== 1) return { outcome: 'used', code };
        return x!.touched !== 1
          ? { outcome: 'revoked', code }
          : { outcome: 'redeemed', code, plan: judged.value };
      }
      // SQLite: the code is read inside the write transaction (the turn's group commit), not in a read
      // transaction of its own before it: one BEGIN and COMMIT fewer per exchange, and the read and
      // the write see the same snapshot.
      return atomic(db, () => redemption(codeHash, at, judge));
    },
    async prune(before) {
      await db.deleteFrom('authorization_codes').where('expires_at', '<', before).execute();
    },
  };
}
