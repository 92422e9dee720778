// Revoked access tokens (RFC 7009).
// The protocol core's own types: src/store implements the storage interfaces here, never the reverse.

/** Revoked access tokens by `jti`, kept until they would have expired anyway (RFC 7009 §2.1). */
export interface RevocationRepository {
  revoke(jti: string, expiresAt: number): Promise<void>;
  isRevoked(jti: string): Promise<boolean>;
  /**
   * Both checks of a bearer token in one query (one statement on SQLite, one round trip on
   * PostgreSQL): whether its `jti` was revoked, and whether its grant (if it has one) is still active.
   */
  accessTokenStatus(
    jti: string,
    grantId: string | undefined,
  ): Promise<{ revoked: boolean; grantActive: boolean }>;
  prune(before: number): Promise<void>;
}
