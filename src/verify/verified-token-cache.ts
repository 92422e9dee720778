import type { AccessTokenClaims } from './claims.ts';

interface Entry {
  claims: AccessTokenClaims;
  /** Epoch ms after which the token would no longer verify. */
  validUntil: number;
}

/**
 * Verified tokens by their exact text, least recently used evicted first (a Map keeps insertion
 * order, so re-inserting on a hit makes the first key the eviction candidate). An entry lives only
 * as long as its token, so a cache hit never returns claims the full check would reject.
 */
export class VerifiedTokenCache {
  readonly #entries = new Map<string, Entry>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  get(token: string, now: number): AccessTokenClaims | undefined {
    const entry = this.#entries.get(token);
    if (!entry) return undefined;
    this.#entries.delete(token);
    if (now >= entry.validUntil) return undefined;
    this.#entries.set(token, entry);
    return entry.claims;
  }

  set(token: string, claims: AccessTokenClaims, validUntil: number): void {
    if (this.#maxEntries <= 0) return;
    this.#entries.delete(token);
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(token, { claims, validUntil });
  }

  get size(): number {
    return this.#entries.size;
  }

  clear(): void {
    this.#entries.clear();
  }
}
