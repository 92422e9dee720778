import type { Clock } from '../clock.ts';
import type { Config } from '../config/index.ts';
import { newId, stampedToken, stampedTokenKey } from '../crypto.ts';
import type { TokenKind } from './introspection.ts';
import type { Grant } from './model/grants.ts';
import type { NewRefreshToken, RefreshToken } from './model/refresh-tokens.ts';
import type { Log, RefreshFamilyRevocationStorage } from './ports.ts';

/**
 * Refresh tokens are opaque: a time stamp and 256 random bits, stored only as the stamp and a SHA-256
 * (high entropy: no slow KDF). The stamp orders the stored keys by time (`stampedTokenKey`).
 */
export const hashRefreshToken = (token: string): string => stampedTokenKey(token);

/** What making a refresh token takes; the grant handlers store it in their own transaction. */
export interface RefreshTokenIssuerDeps {
  readonly config: Pick<Config, 'refreshTokenAbsoluteTtl' | 'refreshTokenIdleTtl'>;
  readonly clock: Clock;
}

export interface RefreshFamilyRevocationDeps {
  readonly store: RefreshFamilyRevocationStorage;
  readonly clock: Clock;
  readonly log: Pick<Log, 'info'>;
}

export interface RefreshTokenInput {
  /** The grant it belongs to (a code carries the same ids as its grant). */
  grant: Pick<Grant, 'id' | 'clientId' | 'userId' | 'orgId'>;
  scope: string;
  family?: { id: string; expiresAt: number };
  /** RFC 8707: the resource the authorization was granted for. */
  resource?: string | undefined;
  /** RFC 9449 §5: the DPoP key a public client must prove at each refresh. */
  dpopJkt?: string | undefined;
}

/**
 * A new refresh token and the record to store for it (only its hash). A new family starts at code
 * redemption with its absolute lifetime; a rotation stays in the family and never outlives it (idle
 * lifetime capped by the absolute one). The grant handlers store the record in the same transaction
 * as the rest of their writes (codes.redeem, refreshTokens.rotate).
 */
export function newRefreshToken(
  input: RefreshTokenInput,
  s: RefreshTokenIssuerDeps,
): { token: string; record: NewRefreshToken } {
  const now = s.clock();
  const token = stampedToken(now);
  const familyExpiresAt = input.family?.expiresAt ?? now + s.config.refreshTokenAbsoluteTtl * 1000;
  const record = {
    tokenHash: hashRefreshToken(token),
    familyId: input.family?.id ?? newId(),
    clientId: input.grant.clientId,
    grantId: input.grant.id,
    userId: input.grant.userId,
    orgId: input.grant.orgId,
    scope: input.scope,
    createdAt: now,
    expiresAt: Math.min(now + s.config.refreshTokenIdleTtl * 1000, familyExpiresAt),
    familyExpiresAt,
    resource: input.resource ?? null,
    dpopJkt: input.dpopJkt ?? null,
  };
  return { token, record };
}

/** Whether a stored refresh token can still be used, ignoring rotation (consumed_at). */
export const refreshTokenLive = (t: RefreshToken, now: number): boolean =>
  t.revokedAt === null && t.expiresAt > now && t.familyExpiresAt > now;

/**
 * Revokes the whole authorization a refresh token belongs to: the family, the grant, and so the
 * grant's access tokens at introspection (their `gid`). RFC 7009 §2.1: revoking a refresh token
 * SHOULD also invalidate the access tokens of the same grant.
 */
export async function revokeRefreshFamily(
  t: RefreshToken,
  reason: string,
  s: RefreshFamilyRevocationDeps,
): Promise<void> {
  const now = s.clock();
  await s.store.refreshTokens.revokeFamily(t.grantId, t.familyId, now);
  await s.store.grants.revoke(t.grantId, now);
  s.log.info({ client_id: t.clientId, grant_id: t.grantId, reason }, 'refresh token family revoked');
  await s.store.audit.record({
    orgId: t.orgId,
    actor: reason === 'revoked by client' ? t.clientId : 'system',
    clientId: t.clientId,
    action: 'grant.revoked',
    detail: { grantId: t.grantId, userId: t.userId, reason },
  });
}

/** Refresh tokens at the introspection (RFC 7662) and revocation (RFC 7009) endpoints. */
export const refreshTokenKind: TokenKind = {
  hint: 'refresh_token',
  async introspect(token, clientId, s) {
    const t = await s.store.refreshTokens.find(hashRefreshToken(token));
    if (!t) return undefined;
    // Only the client a refresh token was issued to may learn about it.
    if (t.clientId !== clientId) return { active: false };
    const now = s.clock();
    if (t.consumedAt !== null || !refreshTokenLive(t, now) || !(await s.store.grants.isActive(t.grantId))) {
      return { active: false };
    }
    return {
      active: true,
      token_type: 'refresh_token',
      iss: s.config.issuer,
      client_id: t.clientId,
      sub: t.userId,
      org_id: t.orgId,
      scope: t.scope,
      iat: Math.floor(t.createdAt / 1000),
      exp: Math.floor(t.expiresAt / 1000),
      gid: t.grantId,
    };
  },
  async revoke(token, clientId, s) {
    const t = await s.store.refreshTokens.find(hashRefreshToken(token));
    if (!t) return false;
    // RFC 7009 §2.1: a client may revoke only its own tokens; others still get 200 (§2.2).
    if (t.clientId === clientId && t.revokedAt === null) await revokeRefreshFamily(t, 'revoked by client', s);
    return true;
  },
};
