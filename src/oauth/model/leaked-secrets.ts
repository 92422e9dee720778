// Client secrets reported leaked by a secret scanner.
// The protocol core's own types: src/store implements the storage interfaces here, never the reverse.

/** Client secrets reported by a secret scanner, found by the hash of the leaked text. */
export interface LeakedSecretRepository {
  /** The secret with this SHA-256, with its client and organization, if it exists. */
  findByHash(
    secretHash: string,
  ): Promise<{ id: string; clientId: string; orgId: string | null; expiresAt: number | null } | undefined>;
  /** Marks it leaked at `at` and makes it expire at `expiresAt` unless it expires sooner already. */
  markLeaked(id: string, at: number, expiresAt: number): Promise<void>;
}
