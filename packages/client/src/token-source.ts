import { type Clock, systemClock } from './clock.ts';
import { LatchkeyError } from './errors.ts';
import type { TokenResponse } from './token-endpoint.ts';

/** Something that hands out a currently valid access token. */
export interface TokenSource {
  /** A valid access token: the cached one, or a fresh one when it is missing or near expiry. */
  getToken(): Promise<string>;
  /**
   * Forget `token` (e.g. the API answered 401 `invalid_token`) so the next getToken() fetches a new
   * one. Ignored when the cache already holds a different token, so many callers that saw the same
   * rejection still cause a single renewal.
   */
  invalidate(token: string): void;
}

export interface TokenTimingOptions {
  /** Milliseconds since the epoch; inject one in tests to move time instead of sleeping. */
  clock?: Clock;
  /**
   * Renew this many seconds before expiry (default 60), never more than a fifth of the token's
   * lifetime, so a request started with the token does not meet its expiry in flight.
   */
  renewBeforeSeconds?: number;
  /** Lifetime assumed when the server omits `expires_in` (it is only RECOMMENDED, RFC 6749 §5.1). Default 300. */
  defaultExpiresInSeconds?: number;
}

interface CachedToken {
  value: string;
  expiresAt: number;
  renewAt: number;
}

/** After a failed renewal while the cached token is still valid, wait this long before trying again. */
const RENEWAL_RETRY_DELAY_MS = 5_000;

/**
 * Caches one access token, renews it ahead of expiry, and runs at most one renewal at a time: every
 * caller that arrives while a renewal is in flight waits for that same request (single flight).
 */
export class CachedTokenSource implements TokenSource {
  readonly #fetchToken: () => Promise<TokenResponse>;
  readonly #clock: Clock;
  readonly #renewBeforeMs: number;
  readonly #defaultLifetimeMs: number;
  #current: CachedToken | undefined;
  #pending: Promise<string> | undefined;
  #retryNotBefore = 0;

  constructor(fetchToken: () => Promise<TokenResponse>, options: TokenTimingOptions = {}) {
    this.#fetchToken = fetchToken;
    this.#clock = options.clock ?? systemClock;
    this.#renewBeforeMs = (options.renewBeforeSeconds ?? 60) * 1000;
    this.#defaultLifetimeMs = (options.defaultExpiresInSeconds ?? 300) * 1000;
  }

  getToken(): Promise<string> {
    const now = this.#clock();
    const current = this.#current;
    if (current && (now < current.renewAt || (now < current.expiresAt && now < this.#retryNotBefore))) {
      return Promise.resolve(current.value);
    }
    this.#pending ??= this.#renew().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  invalidate(token: string): void {
    if (this.#current?.value === token) this.#current = undefined;
  }

  /** Seed the cache with a token obtained elsewhere (e.g. from the authorization code exchange). */
  seed(response: TokenResponse, issuedAt: number = this.#clock()): void {
    this.#current = this.#toCached(response, issuedAt);
  }

  async #renew(): Promise<string> {
    const previous = this.#current;
    // Count the lifetime from before the request: the server started the clock no later than that.
    const requestedAt = this.#clock();
    try {
      const response = await this.#fetchToken();
      this.#current = this.#toCached(response, requestedAt);
      this.#retryNotBefore = 0;
      return response.access_token;
    } catch (error) {
      const now = this.#clock();
      // A token that has not expired yet still works: keep serving it through a failed renewal
      // (token endpoint down or rate limiting us) and try again a little later.
      if (previous && previous === this.#current && now < previous.expiresAt) {
        const retryAfterMs =
          error instanceof LatchkeyError && error.retryAfterSeconds !== undefined
            ? error.retryAfterSeconds * 1000
            : RENEWAL_RETRY_DELAY_MS;
        this.#retryNotBefore = now + retryAfterMs;
        return previous.value;
      }
      throw error;
    }
  }

  #toCached(response: TokenResponse, issuedAt: number): CachedToken {
    // Some servers send expires_in as a string; anything unusable falls back to the default.
    const expiresIn = Number(response.expires_in);
    const lifetimeMs =
      Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn * 1000 : this.#defaultLifetimeMs;
    const renewBeforeMs = Math.min(this.#renewBeforeMs, lifetimeMs / 5);
    const expiresAt = issuedAt + lifetimeMs;
    return { value: response.access_token, expiresAt, renewAt: expiresAt - renewBeforeMs };
  }
}
