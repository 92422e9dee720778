// One-time values: replay protection for assertions and DPoP proofs.
// The protocol core's own types: src/store implements the storage interfaces here, never the reverse.

/**
 * One-time values shared by every instance: the `jti` of client assertions (RFC 7523 §3) and DPoP
 * proofs (RFC 9449 §11.1), and the DPoP nonces handed out (§8). Kept until they expire.
 */
export interface SeenValueRepository {
  /** Records `key`; false when it was already recorded and has not expired (a replay). */
  remember(key: string, expiresAt: number, now: number): Promise<boolean>;
  /** Whether `key` was recorded and has not expired. */
  has(key: string, now: number): Promise<boolean>;
  prune(before: number): Promise<void>;
}
