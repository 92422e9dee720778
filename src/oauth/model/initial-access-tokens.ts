// Initial access tokens (RFC 7591 §3): what an operator hands out so that software may register
// itself while LATCHKEY_DYNAMIC_REGISTRATION=token.
// The protocol core's own types: src/store implements the storage interfaces here, never the reverse.

export interface InitialAccessToken {
  id: string;
  createdAt: number;
  /** After this (epoch ms) it registers nothing; null never happens for tokens made by the CLI. */
  expiresAt: number | null;
  /** `cli`, or whoever made it. */
  createdBy: string | null;
  revokedAt: number | null;
}

/** Kept as the SHA-256 of the token: the token itself is shown once, when it is made. */
export interface InitialAccessTokenRepository {
  create(token: Omit<InitialAccessToken, 'revokedAt'> & { tokenHash: string }): Promise<void>;
  findByHash(tokenHash: string): Promise<InitialAccessToken | undefined>;
  /** Every token, newest first. */
  list(): Promise<InitialAccessToken[]>;
  /** Marks it revoked (a later call keeps the first time); false when there is no such token. */
  revoke(id: string, at: number): Promise<boolean>;
}
