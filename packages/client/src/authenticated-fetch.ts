import { type Clock, realSleep, type Sleep, systemClock } from './clock.ts';
import type { FetchFunction } from './discovery.ts';
import type { DpopKey } from './dpop.ts';
import { globalFetch } from './endpoints.ts';
import { LatchkeyError } from './errors.ts';
import { errorFromResponse, parseBearerChallenge, parseRetryAfter } from './http-errors.ts';
import type { TokenSource } from './token-source.ts';

export interface AuthenticatedFetchOptions {
  /** Resolve relative request URLs (`/api/v1/me`) against this base, e.g. the API's URL. */
  baseUrl?: string;
  fetch?: FetchFunction;
  /** How many times a 429 is retried before it is thrown (default 3). */
  maxRetries?: number;
  /**
   * Longest `Retry-After` we wait out (default 60 s, one window of Latchkey's per-minute limit).
   * A server asking for longer is not retried early: the LatchkeyError carries `retryAfterSeconds`
   * so the caller can schedule the work.
   */
  maxRetryAfterSeconds?: number;
  clock?: Clock;
  sleep?: Sleep;
  /** Source of jitter in [0, 1); injectable for tests. */
  random?: () => number;
  /** The DPoP key the tokens are bound to: requests then carry `DPoP <token>` and a proof (RFC 9449 §7). */
  dpop?: DpopKey;
}

export type AuthenticatedFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * A fetch that presents a Bearer token (RFC 6750 §2.1) from `tokenSource` and handles the answers an
 * integrator should not have to: a 401 `invalid_token` renews the token once and retries once; a 429
 * waits `Retry-After` (capped, with jitter) a bounded number of times. Responses with status ≥ 400
 * are otherwise thrown as LatchkeyError with the RFC 6749/6750 code.
 */
export function authenticatedFetch(
  tokenSource: TokenSource,
  options: AuthenticatedFetchOptions = {},
): AuthenticatedFetch {
  const fetch = options.fetch ?? globalFetch;
  const clock = options.clock ?? systemClock;
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  const maxRetries = options.maxRetries ?? 3;
  const maxRetryAfterSeconds = options.maxRetryAfterSeconds ?? 60;

  /** Waits before retry number `attempt` (0-based), or returns false when we should give up instead. */
  async function backOff(attempt: number, retryAfterSeconds: number | undefined): Promise<boolean> {
    if (attempt >= maxRetries) return false;
    if (retryAfterSeconds !== undefined && retryAfterSeconds > maxRetryAfterSeconds) return false;
    const baseMs = (retryAfterSeconds ?? Math.min(2 ** attempt, maxRetryAfterSeconds)) * 1000;
    // Retry-After is a minimum, so jitter only adds: callers that were told the same time spread out.
    const jitterMs = random() * Math.max(100, baseMs * 0.2);
    await sleep(baseMs + jitterMs);
    return true;
  }

  return async (input, init) => {
    const url = typeof input === 'string' && options.baseUrl ? new URL(input, options.baseUrl) : input;
    // One template; each attempt sends a clone so a body can be sent again.
    const template = new Request(url, init);
    let renewed = false;
    let rateLimitedAttempts = 0;

    for (;;) {
      let token: string;
      try {
        token = await tokenSource.getToken();
      } catch (error) {
        // The token endpoint rate limits too (RFC 6749 does not define it; Latchkey sends 429).
        if (error instanceof LatchkeyError && error.status === 429) {
          if (await backOff(rateLimitedAttempts++, error.retryAfterSeconds)) continue;
        }
        throw error;
      }

      const request = template.clone();
      if (options.dpop) {
        request.headers.set('authorization', `DPoP ${token}`);
        request.headers.set('dpop', await options.dpop.proof(request.method, request.url, token));
      } else {
        request.headers.set('authorization', `Bearer ${token}`);
      }
      let response: Response;
      try {
        response = await fetch(request);
      } catch (cause) {
        throw new LatchkeyError('network_error', {
          description: `${request.method} ${request.url} failed`,
          cause,
        });
      }
      if (response.status < 400) return response;

      if (response.status === 401 && !renewed && isTokenRejection(response)) {
        renewed = true;
        tokenSource.invalidate(token);
        await response.body?.cancel();
        continue;
      }
      if (response.status === 429) {
        const retryAfterSeconds = parseRetryAfter(response.headers.get('retry-after'), clock());
        if (await backOff(rateLimitedAttempts++, retryAfterSeconds)) {
          await response.body?.cancel();
          continue;
        }
      }
      throw await errorFromResponse(response, clock());
    }
  };
}

/**
 * RFC 6750 §3.1: `invalid_token` means expired, revoked or malformed, so a new token may help.
 * A 401 with no error code at all is treated the same: some APIs answer an expired token that way.
 */
function isTokenRejection(response: Response): boolean {
  const error = parseBearerChallenge(response.headers.get('www-authenticate'))?.error;
  return error === undefined || error === 'invalid_token';
}
