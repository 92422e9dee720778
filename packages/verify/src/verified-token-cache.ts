import type { AccessTokenClaims } from './claims.ts';

interface Entry {
  /** The key it is stored under: a hit re-inserts the entry under this string, not the caller's. */
  key: string;
  /** The whole token: a hit needs the exact same text, not just the same signature. */
  token: string;
  claims: AccessTokenClaims;
  /** Epoch ms after which the token would no longer verify. */
  validUntil: number;
}

/**
 * Verified tokens, least recently used evicted first (a Map keeps insertion order, so re-inserting
 * on a hit makes the first key the eviction candidate). An entry lives only as long as its token, so
 * a hit never returns claims the full check would reject.
 *
 * Keyed by the signature segment: hashing its 86 characters costs a fraction of hashing the whole
 * token, which matters on the cold path where every lookup misses. The stored token is then compared
 * in full, so a tampered token that kept the signature still misses.
 */
export class VerifiedTokenCache {
  readonly #entries = new Map<string, Entry>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  get(token: string, now: number): AccessTokenClaims | undefined {
    const entry = this.#entries.get(cacheKey(token));
    if (!entry || entry.token !== token) return undefined;
    this.#entries.delete(entry.key);
    if (now >= entry.validUntil) return undefined;
    // Re-inserted under the stored key: the caller's key is a slice of this request's token (a
    // header or body string), which the map would otherwise keep alive until the next hit, long
    // enough to be promoted to old space on every request.
    this.#entries.set(entry.key, entry);
    return entry.claims;
  }

  set(token: string, claims: AccessTokenClaims, validUntil: number): void {
    if (this.#maxEntries <= 0) return;
    const key = cacheKey(token);
    this.#entries.delete(key);
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(key, { key, token, claims, validUntil });
  }

  get size(): number {
    return this.#entries.size;
  }

  clear(): void {
    this.#entries.clear();
  }
}

function cacheKey(token: string): string {
  return token.slice(token.lastIndexOf('.') + 1);
}
