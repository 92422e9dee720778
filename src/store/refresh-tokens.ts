import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

/** A refresh token (RFC 6749 §6), stored only as its SHA-256; rotated on every use. */
export interface RefreshToken {
  tokenHash: string;
  familyId: string;
  clientId: string;
  grantId: string;
  userId: string;
  orgId: string;
  scope: string;
  createdAt: number;
  /** Idle expiry: this token is unusable after it. */
  expiresAt: number;
  /** Absolute expiry of the whole family, fixed when the code was redeemed. */
  familyExpiresAt: number;
  consumedAt: number | null;
  revokedAt: number | null;
  /** RFC 8707 resource indicator: the `aud` of the access tokens it brings. */
  resource?: string | null;
  /** RFC 9449 §5: the DPoP key (JWK thumbprint) a public client must prove at each refresh. */
  dpopJkt?: string | null;
}

export interface RefreshTokenRepository {
  create(token: Omit<RefreshToken, 'consumedAt' | 'revokedAt'>): Promise<void>;
  find(tokenHash: string): Promise<RefreshToken | undefined>;
  /** Rotation: one conditional UPDATE; false when the token was already used or revoked. */
  consume(tokenHash: string, at: number): Promise<boolean>;
  revokeFamily(familyId: string, at: number): Promise<void>;
}

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

export function refreshTokenRepository(db: Kysely<Database>): RefreshTokenRepository {
  return {
    async create(t) {
      await db
        .insertInto('refresh_tokens')
        .values({
          token_hash: t.tokenHash,
          family_id: t.familyId,
          client_id: t.clientId,
          grant_id: t.grantId,
          user_id: t.userId,
          org_id: t.orgId,
          scope: t.scope,
          created_at: t.createdAt,
          expires_at: t.expiresAt,
          family_expires_at: t.familyExpiresAt,
          consumed_at: null,
          revoked_at: null,
          resource: t.resource ?? null,
          dpop_jkt: t.dpopJkt ?? null,
        })
        .execute();
    },
    async find(tokenHash) {
      const r = await db
        .selectFrom('refresh_tokens')
        .selectAll()
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst();
      return r && toToken(r);
    },
    async consume(tokenHash, at) {
      const r = await db
        .updateTable('refresh_tokens')
        .set({ consumed_at: at })
        .where('token_hash', '=', tokenHash)
        .where('consumed_at', 'is', null)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
    async revokeFamily(familyId, at) {
      await db
        .updateTable('refresh_tokens')
        .set({ revoked_at: at })
        .where('family_id', '=', familyId)
        .where('revoked_at', 'is', null)
        .execute();
    },
  };
}
