import type { SupportedAlgorithm } from './algorithms.ts';
import { invalidToken, named, TokenVerificationError } from './errors.ts';
import { isSignatureVerificationKey, type PublicJwk } from './jwk.ts';
import { createSignatureCheck, type SignatureCheck } from './signature.ts';

/**
 * Where a JWK set comes from: the issuer's `jwks_uri` for an API, the key ring itself for the issuer.
 * `kid` is the unknown key that caused this load, if any (a source may look harder for it).
 */
export type JwkSetSource = (kid: string | undefined) => Promise<unknown>;

export interface JwksCacheOptions {
  load: JwkSetSource;
  clock: () => number;
  /** Minimum time between two fetches caused by unknown `kid`s, so forged kids cannot flood the issuer. */
  cooldownMs: number;
  /** After this age the set is refetched in the background, so removed keys stop being accepted. */
  maxAgeMs: number;
}

interface KeyEntry {
  jwk: PublicJwk;
  /** One check per algorithm, built once (a KeyObject/CryptoKey per key), then reused. */
  checks: Map<SupportedAlgorithm, Promise<SignatureCheck>>;
  ready: Map<SupportedAlgorithm, SignatureCheck>;
}

/** After a failed fetch, callers get the failure without a new request for this long. */
const FAILURE_BACKOFF_MS = 1_000;

/** The issuer's public keys by `kid`, fetched on first use and again on an unknown `kid` (rate limited). */
export class JwksCache {
  readonly #options: JwksCacheOptions;
  #keys = new Map<string, KeyEntry>();
  #fetchedAt = Number.NEGATIVE_INFINITY;
  #loaded = false;
  #pending: Promise<void> | undefined;
  #lastFailure: { at: number; error: unknown } | undefined;

  constructor(options: JwksCacheOptions) {
    this.#options = options;
  }

  /** The ready check for this key and algorithm, without any await: the hot path of verification. */
  readyCheck(kid: string | undefined, alg: SupportedAlgorithm): SignatureCheck | undefined {
    if (!this.#loaded || this.#options.clock() - this.#fetchedAt > this.#options.maxAgeMs) return undefined;
    return this.#find(kid)?.ready.get(alg);
  }

  async check(kid: string | undefined, alg: SupportedAlgorithm): Promise<SignatureCheck> {
    if (!this.#loaded) {
      await this.#refresh();
    } else if (this.#options.clock() - this.#fetchedAt > this.#options.maxAgeMs) {
      // Stale but usable: refresh in the background rather than make this request wait.
      this.#refresh().catch(() => {});
    }
    let entry = this.#find(kid);
    if (!entry && kid !== undefined && this.#options.clock() - this.#fetchedAt >= this.#options.cooldownMs) {
      // An unknown kid usually means the issuer rotated its keys since we last looked. A token that
      // names no key gives no reason to fetch again: the set we hold already says it is ambiguous.
      await this.#refresh(kid);
      entry = this.#find(kid);
    }
    if (!entry) {
      throw invalidToken(
        kid === undefined ? 'token has no kid' : `no key for ${named('kid', kid)} in the issuer's JWKS`,
      );
    }
    let pending = entry.checks.get(alg);
    if (!pending) {
      pending = createSignatureCheck(entry.jwk, alg);
      entry.checks.set(alg, pending);
      const ready = entry.ready;
      pending.then((check) => ready.set(alg, check)).catch(() => {});
    }
    return pending;
  }

  #find(kid: string | undefined): KeyEntry | undefined {
    if (kid !== undefined) return this.#keys.get(kid);
    // RFC 7515 §4.1.4 makes kid optional; without it only a single-key set is unambiguous.
    if (this.#keys.size === 1) return this.#keys.values().next().value;
    return undefined;
  }

  #refresh(kid?: string): Promise<void> {
    const failure = this.#lastFailure;
    if (failure && this.#options.clock() - failure.at < FAILURE_BACKOFF_MS) {
      return Promise.reject(failure.error);
    }
    this.#pending ??= this.#load(kid).finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  async #load(kid: string | undefined): Promise<void> {
    try {
      const body = (await this.#options.load(kid)) as { keys?: unknown } | null;
      if (!Array.isArray(body?.keys)) {
        throw new TokenVerificationError('temporarily_unavailable', 'the key source gave no JWK set');
      }
      const keys = new Map<string, KeyEntry>();
      for (const jwk of body.keys as PublicJwk[]) {
        if (!jwk || typeof jwk !== 'object' || !isSignatureVerificationKey(jwk)) continue;
        const id = jwk.kid ?? '';
        // Keep prepared keys whose JWK did not change, so a refresh costs no re-import.
        const previous = this.#keys.get(id);
        keys.set(
          id,
          previous && sameKey(previous.jwk, jwk) ? previous : { jwk, checks: new Map(), ready: new Map() },
        );
      }
      this.#keys = keys;
      this.#fetchedAt = this.#options.clock();
      this.#loaded = true;
      this.#lastFailure = undefined;
    } catch (error) {
      this.#lastFailure = { at: this.#options.clock(), error };
      throw error;
    }
  }
}

function sameKey(a: PublicJwk, b: PublicJwk): boolean {
  return (
    a.kty === b.kty &&
    a.crv === b.crv &&
    a.x === b.x &&
    a.y === b.y &&
    a.n === b.n &&
    a.e === b.e &&
    a.alg === b.alg
  );
}
