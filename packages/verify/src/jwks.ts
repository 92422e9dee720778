import { createLocalJWKSet, type JWK, type JWSHeaderParameters, errors as jose } from 'jose';
import { invalidToken, named, TokenVerificationError } from './errors.ts';

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

/** After a failed fetch, callers get the failure without a new request for this long. */
const FAILURE_BACKOFF_MS = 1_000;
/** RFC 7518 §3.3 and §3.5: RSA keys for RS256…PS512 must be at least 2048 bits. */
const MIN_RSA_MODULUS_BITS = 2048;

/**
 * An issuer's public keys, fetched on first use and again on an unknown `kid` (at most once per
 * cooldown). jose's local JWK set picks the key for a header (`kid`, and a key type, curve, `alg`,
 * `use` and `key_ops` that fit the header's `alg`) and keeps each key imported once per algorithm.
 */
export class JwksCache {
  readonly #options: JwksCacheOptions;
  #keys: ReturnType<typeof createLocalJWKSet> | undefined;
  #fetchedAt = Number.NEGATIVE_INFINITY;
  #pending: Promise<void> | undefined;
  #lastFailure: { at: number; error: unknown } | undefined;

  constructor(options: JwksCacheOptions) {
    this.#options = options;
  }

  /** The key that verifies a JWS with this protected header: a key function for jose's verify calls. */
  readonly key = async (header: Pick<JWSHeaderParameters, 'alg' | 'kid'>): Promise<CryptoKey> => {
    const { alg, kid } = header;
    if (kid !== undefined && typeof kid !== 'string') throw invalidToken('token kid is not a string');
    if (this.#keys === undefined) {
      await this.#refresh();
    } else if (this.#options.clock() - this.#fetchedAt > this.#options.maxAgeMs) {
      // Stale but usable: refresh in the background rather than make this request wait.
      this.#refresh().catch(() => {});
    }
    let key = await this.#select(alg, kid);
    if (!key && kid !== undefined && this.#options.clock() - this.#fetchedAt >= this.#options.cooldownMs) {
      // An unknown kid usually means the issuer rotated its keys since we last looked. A token that
      // names no key gives no reason to fetch again: the set we hold already says it is ambiguous.
      await this.#refresh(kid);
      key = await this.#select(alg, kid);
    }
    if (!key) {
      throw invalidToken(
        kid === undefined ? 'token has no kid' : `no key for ${named('kid', kid)} in the issuer's JWKS`,
      );
    }
    const bits = (key.algorithm as Partial<RsaHashedKeyAlgorithm>).modulusLength;
    if (bits !== undefined && bits < MIN_RSA_MODULUS_BITS) {
      throw invalidToken(`${keyName(kid)} is an RSA key shorter than ${MIN_RSA_MODULUS_BITS} bits`);
    }
    return key;
  };

  /** The one key for `alg` and `kid`, or undefined when the set holds none (or, without kid, several). */
  async #select(alg: string | undefined, kid: string | undefined): Promise<CryptoKey | undefined> {
    try {
      return await this.#keys!({ alg, kid });
    } catch (error) {
      if (error instanceof jose.JWKSNoMatchingKey || error instanceof jose.JWKSMultipleMatchingKeys) {
        return undefined;
      }
      if (error instanceof jose.JOSENotSupported) throw invalidToken(`${named('alg', alg)} is not accepted`);
      throw invalidToken(`${keyName(kid)} could not be imported`, error);
    }
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
      // jose refuses a whole set for one member that is not an object; such a member is skipped.
      const keys = body.keys.filter((jwk) => jwk !== null && typeof jwk === 'object' && !Array.isArray(jwk));
      this.#keys = createLocalJWKSet({ keys: keys as JWK[] });
      this.#fetchedAt = this.#options.clock();
      this.#lastFailure = undefined;
    } catch (error) {
      this.#lastFailure = { at: this.#options.clock(), error };
      throw error;
    }
  }
}

const keyName = (kid: string | undefined): string => named('key', kid, 'the signing key');
