import { type Kysely, type RawBuilder, sql } from 'kysely';
import type {
  NewRefreshToken,
  RefreshToken,
  RefreshTokenRepository,
  Rotation,
  RotationPlan,
} from '../oauth/model/refresh-tokens.ts';
import { touchActiveGrant } from './grants.ts';
import {
  arg,
  atomic,
  onPostgres,
  type Prepared,
  prepare,
  prepareSql,
  type Unit,
  verdict,
} from './prepared.ts';
import type { Database } from './schema.ts';

const toToken = (r: Database['refresh_tokens']): RefreshToken => ({
  tokenHash: r.token_hash,
  familyId: r.family_id,
  clientId: r.client_id,
  grantId: r.grant_id,
  userId: r.user_id,
  orgId: r.org_id,
  scope: r.scope,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  familyExpiresAt: r.family_expires_at,
  consumedAt: r.consumed_at,
  revokedAt: r.revoked_at,
  // Absent rather than null when unset, so rows from before 006 read exactly as they did.
  ...(r.resource !== null && { resource: r.resource }),
  ...(r.dpop_jkt !== null && { dpopJkt: r.dpop_jkt }),
});

export type InsertArgs = [
  tokenHash: string,
  familyId: string,
  clientId: string,
  grantId: string,
  userId: string,
  orgId: string,
  scope: string,
  createdAt: number,
  expiresAt: number,
  familyExpiresAt: number,
  unset: null,
  resource: string | null,
  dpopJkt: string | null,
];

/** The INSERT of a refresh token, compiled once (prepared.ts); it names every column of the table. */
export function refreshTokenInsert(db: Kysely<Database>): Prepared<unknown, InsertArgs> {
  return prepare(db, () =>
    db.insertInto('refresh_tokens').values({
      token_hash: arg(0),
      family_id: arg(1),
      client_id: arg(2),
      grant_id: arg(3),
      user_id: arg(4),
      org_id: arg(5),
      scope: arg(6),
      created_at: arg(7),
      expires_at: arg(8),
      family_expires_at: arg(9),
      consumed_at: arg(10),
      revoked_at: arg(10),
      resource: arg(11),
      dpop_jkt: arg(12),
    }),
  );
}

/**
 * PostgreSQL: the column list and typed values of one refresh token, for an INSERT … SELECT inside a
 * larger statement (codes.redeem, rotate). The values are `insertArgs` from argument `first` on.
 */
export const refreshTokenColumnsSql = sql`(token_hash, family_id, client_id, grant_id, user_id, org_id, scope,
  created_at, expires_at, family_expires_at, resource, dpop_jkt)`;
export function refreshTokenValuesSql(first: number): RawBuilder<unknown> {
  const a = (i: number) => arg<unknown>(first + i);
  // Index 10 of insertArgs (consumed_at and revoked_at, always null) is left to the columns' default.
  return sql`${a(0)}::text, ${a(1)}::text, ${a(2)}::text, ${a(3)}::text, ${a(4)}::text, ${a(5)}::text,
    ${a(6)}::text, ${a(7)}::bigint, ${a(8)}::bigint, ${a(9)}::bigint, ${a(11)}::text, ${a(12)}::text`;
}

export const insertArgs = (t: NewRefreshToken): InsertArgs => [
  t.tokenHash,
  t.familyId,
  t.clientId,
  t.grantId,
  t.userId,
  t.orgId,
  t.scope,
  t.createdAt,
  t.expiresAt,
  t.familyExpiresAt,
  null,
  t.resource ?? null,
  t.dpopJkt ?? null,
];

export function refreshTokenRepository(db: Kysely<Database>): RefreshTokenRepository {
  // The code exchange's and refresh's queries, compiled once (prepared.ts); `selectAll` reads every
  // column.
  const insert = refreshTokenInsert(db);
  const touchGrant = touchActiveGrant(db);
  // PostgreSQL: the rotation as one statement (data-modifying CTEs), one round trip instead of five
  // (BEGIN, three writes, COMMIT). Same steps, same order and the same conditional UPDATEs as the
  // unit below: the grant (locked first, as a revocation does), then the old token, then the new.
  const postgres = onPostgres(db);
  const rotateInOneStatement = prepareSql<
    { touched: number; consumed: number },
    [string, number, string, ...InsertArgs]
  >(
    db,
    sql`with touched as (
        update grants set last_used_at = ${arg(1)} where id = ${arg(0)} and revoked_at is null returning id
      ), consumed as (
        update refresh_tokens set consumed_at = ${arg(1)}
        where token_hash = ${arg(2)} and consumed_at is null and revoked_at is null
          and exists (select 1 from touched)
        returning 1
      ), stored as (
        insert into refresh_tokens ${refreshTokenColumnsSql}
        select ${refreshTokenValuesSql(3)} from consumed
        returning 1
      )
      select (select count(*) from touched) as touched, (select count(*) from consumed) as consumed`,
  );
  const findByHash = prepare(db, () =>
    db.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', arg<string>(0)),
  );
  const consume = prepare(db, () =>
    db
      .updateTable('refresh_tokens')
      .set({ consumed_at: arg<number>(1) })
      .where('token_hash', '=', arg<string>(0))
      .where('consumed_at', 'is', null)
      .where('revoked_at', 'is', null),
  );
  /** The SQLite rotation, as an atomic unit; declared once, not per call (see codes.ts `redemption`). */
  function* rotation<P extends RotationPlan>(
    tokenHash: string,
    at: number,
    judge: (token: RefreshToken) => P,
  ): Unit<Rotation<P>> {
    const [r] = (yield* findByHash.step(tokenHash)).rows;
    if (!r) return { outcome: 'unknown' };
    const token = toToken(r);
    const judged = verdict(token, judge);
    if (!judged.ok) return { outcome: 'refused', token, reason: judged.reason };
    // The grant first: revoking one locks the grant, then its tokens (grants.ts), so taking
    // them in the same order here cannot deadlock against it on PostgreSQL.
    if ((yield* touchGrant.step(token.grantId, at)).changes !== 1) return { outcome: 'revoked', token };
    // A reuse leaves the grant touched: the caller revokes it next anyway.
    if ((yield* consume.step(tokenHash, at)).changes !== 1) return { outcome: 'used', token };
    yield* insert.step(...insertArgs(judged.value.next));
    return { outcome: 'rotated', token, plan: judged.value };
  }

  return {
    async create(t) {
      await insert(...insertArgs(t));
    },
    async find(tokenHash) {
      const [r] = (await findByHash(tokenHash)).rows;
      return r && toToken(r);
    },
    async consume(tokenHash, at) {
      return (await consume(tokenHash, at)).changes === 1;
    },
    async rotate<P extends RotationPlan>(
      tokenHash: string,
      at: number,
      judge: (token: RefreshToken) => P,
    ): Promise<Rotation<P>> {
      if (postgres) {
        const [r] = (await findByHash(tokenHash)).rows;
        if (!r) return { outcome: 'unknown' };
        const token = toToken(r);
        const judged = verdict(token, judge);
        if (!judged.ok) return { outcome: 'refused', token, reason: judged.reason };
        const next = insertArgs(judged.value.next);
        const [x] = (await rotateInOneStatement(token.grantId, at, tokenHash, ...next)).rows;
        if (x!.touched !== 1) return { outcome: 'revoked', token };
        return x!.consumed !== 1
          ? { outcome: 'used', token }
          : { outcome: 'rotated', token, plan: judged.value };
      }
      // SQLite: the token is read inside the write transaction (the turn's group commit), not in a
      // read transaction of its own before it: one BEGIN and COMMIT fewer per refresh, and the read
      // and the write see the same snapshot.
      return atomic(db, () => rotation(tokenHash, at, judge));
    },
    async revokeFamily(grantId, familyId, at) {
      await db
        .updateTable('refresh_tokens')
        .set({ revoked_at: at })
        // Through the grant's index: a family never spans grants, and has no index of its own.
        .where('grant_id', '=', grantId)
        .where('family_id', '=', familyId)
        .where('revoked_at', 'is', null)
        .execute();
    },
  };
}
