// Authorization codes (RFC 6749 §4.1.2) and their single-use redemption.
// The protocol core's own types: src/store implements the storage interfaces here, never the reverse.
import type { NewRefreshToken } from './refresh-tokens.ts';

/** An authorization code (RFC 6749 §4.1.2), stored only as its SHA-256. */
export interface AuthorizationCode {
  codeHash: string;
  clientId: string;
  grantId: string;
  userId: string;
  orgId: string;
  redirectUri: string;
  /** The authorization request named redirect_uri, so the token request must repeat it (§4.1.3). */
  redirectUriSent: boolean;
  scope: string;
  codeChallenge: string | null;
  expiresAt: number;
  consumedAt: number | null;
  createdAt: number;
  /** RFC 8707 resource indicator of the authorization request. */
  resource?: string | null;
  /** OpenID Connect: the request's `nonce`, and when the person signed in (epoch ms), for the ID token. */
  nonce?: string | null;
  authTime?: number | null;
}

/** What a code exchange stores besides consuming the code: the refresh token it issues, if any. */
export interface RedemptionPlan {
  refreshToken?: NewRefreshToken | undefined;
}

/**
 * What a redemption found and did: `unknown` (no such code); `refused` (the caller's judgement
 * threw `reason`: nothing written); `redeemed` (code consumed, grant touched, the plan's refresh
 * token stored, all in one commit); `used` (the code was already consumed — a replay, or the loser
 * of a race: nothing written); `revoked` (the code is now consumed, but its grant was revoked:
 * nothing else written).
 */
export type Redemption<P> =
  | { outcome: 'unknown' }
  | { outcome: 'refused'; code: AuthorizationCode; reason: unknown }
  | { outcome: 'used'; code: AuthorizationCode }
  | { outcome: 'revoked'; code: AuthorizationCode }
  | { outcome: 'redeemed'; code: AuthorizationCode; plan: P };

export interface CodeRepository {
  create(code: Omit<AuthorizationCode, 'consumedAt'>): Promise<void>;
  find(codeHash: string): Promise<AuthorizationCode | undefined>;
  /**
   * Marks the code used with one conditional UPDATE; false when it was already used (reuse, or the
   * loser of two racing redemptions). Atomic on SQLite and PostgreSQL alike.
   */
  consume(codeHash: string, at: number): Promise<boolean>;
  /**
   * RFC 6749 §4.1.3 as one transaction: read the code, let `judge` decide on it (it throws to refuse
   * the code, and returns what to store), consume the code with the same conditional UPDATE, touch
   * its grant if still active, and store the plan's refresh token. `judge` runs inside the
   * transaction: synchronous, and without the store.
   */
  redeem<P extends RedemptionPlan>(
    codeHash: string,
    at: number,
    judge: (code: AuthorizationCode) => P,
  ): Promise<Redemption<P>>;
  prune(before: number): Promise<void>;
}
