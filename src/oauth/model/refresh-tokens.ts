// Refresh tokens (RFC 6749 §6) and their rotation in families.
// The protocol core's own types: src/store implements the storage interfaces here, never the reverse.

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

/** A refresh token about to be stored. */
export type NewRefreshToken = Omit<RefreshToken, 'consumedAt' | 'revokedAt'>;

/** What a refresh stores besides consuming the old token: the next token of its family. */
export interface RotationPlan {
  next: NewRefreshToken;
}

/**
 * What a rotation found and did: `unknown` (no such token); `refused` (the caller's judgement threw
 * `reason`: nothing written); `rotated` (the old token consumed, the grant touched, the plan's next
 * token stored, all in one commit); `used` (the old token was already consumed or revoked: the loser
 * of a race, or a reuse) and `revoked` (its grant is): in these, no token was consumed or stored.
 */
export type Rotation<P> =
  | { outcome: 'unknown' }
  | { outcome: 'refused'; token: RefreshToken; reason: unknown }
  | { outcome: 'used'; token: RefreshToken }
  | { outcome: 'revoked'; token: RefreshToken }
  | { outcome: 'rotated'; token: RefreshToken; plan: P };

export interface RefreshTokenRepository {
  create(token: NewRefreshToken): Promise<void>;
  find(tokenHash: string): Promise<RefreshToken | undefined>;
  /** Rotation: one conditional UPDATE; false when the token was already used or revoked. */
  consume(tokenHash: string, at: number): Promise<boolean>;
  /**
   * RFC 6749 §6 rotation as one transaction: read the token, let `judge` decide on it (it throws to
   * refuse the token, and returns the next one), touch the grant if it is still active, consume the
   * old token with one conditional UPDATE (of racing rotations exactly one wins), store the next.
   * `judge` runs inside the transaction: synchronous, and without the store.
   */
  rotate<P extends RotationPlan>(
    tokenHash: string,
    at: number,
    judge: (token: RefreshToken) => P,
  ): Promise<Rotation<P>>;
  /** Revokes every token of one family (of the grant it belongs to). */
  revokeFamily(grantId: string, familyId: string, at: number): Promise<void>;
}
