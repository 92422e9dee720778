import { isSupportedAlgorithm, SUPPORTED_ALGORITHMS, type SupportedAlgorithm } from './algorithms.ts';
import type { AccessTokenClaims, ClaimExpectations } from './claims.ts';
import { validateClaims } from './claims.ts';
import { invalidToken, named, TokenVerificationError } from './errors.ts';
import { type IntrospectionOptions, introspect } from './introspection.ts';
import { type JwkSetSource, JwksCache } from './jwks.ts';
import { decodeJws } from './jwt.ts';
import { type FetchFunction, fetchJson, fetchVerifierMetadata, type VerifierMetadata } from './metadata.ts';
import { VerifiedTokenCache } from './verified-token-cache.ts';

export interface VerifierOptions {
  /** The issuer identifier, exactly as in the tokens' `iss`, e.g. `https://auth.example.com`. */
  issuer: string;
  /** This API's identifier(s); the token's `aud` must name one (RFC 9068 §4). */
  audience: string | readonly string[];
  /** Accepted signature algorithms; default every supported asymmetric one. The key fixes which applies. */
  algorithms?: readonly SupportedAlgorithm[];
  /** Tolerance for clocks that disagree, applied to `exp` and `nbf` (default 30 s). */
  clockSkewSeconds?: number;
  /** Skip discovery for the keys. */
  jwksUri?: string;
  /**
   * The keys from somewhere other than HTTP: a function returning a JWK set (`{ keys: [...] }`).
   * The issuer uses it to verify its own tokens from its key ring; an API normally leaves it unset.
   */
  keySource?: JwkSetSource;
  /** Minimum seconds between JWKS refetches caused by an unknown `kid` (default 10). */
  jwksCooldownSeconds?: number;
  /** Refetch the JWKS in the background once it is this old, to drop removed keys (default 600). */
  jwksMaxAgeSeconds?: number;
  /** Verified tokens kept for repeated calls (default 10,000); `0` turns the cache off. */
  cacheMaxEntries?: number;
  /**
   * Also ask the issuer (RFC 7662) on every call, so revocations count at once. The signature is
   * still checked first, so forged tokens never cost a round trip.
   */
  introspection?: IntrospectionOptions;
  fetch?: FetchFunction;
  /** Milliseconds since the epoch; inject one in tests. */
  clock?: () => number;
}

export interface Verifier {
  /** Verifies an access token and returns its claims, or throws TokenVerificationError. */
  verify(token: string): Promise<AccessTokenClaims>;
  /** Counters for metrics: how often the verified-token cache answered. */
  stats(): VerifierStats;
  readonly issuer: string;
  readonly audiences: readonly string[];
}

export interface VerifierStats {
  cacheHits: number;
  cacheMisses: number;
  cachedTokens: number;
}

const ACCESS_TOKEN_TYPES = new Set(['at+jwt', 'application/at+jwt']);

/** A verifier for Latchkey access tokens (RFC 9068 JWTs), with the JWKS and verified tokens cached. */
export function createVerifier(options: VerifierOptions): Verifier {
  if (!options.issuer) throw new TypeError('createVerifier: `issuer` is required');
  const audiences = typeof options.audience === 'string' ? [options.audience] : [...options.audience];
  if (audiences.length === 0 || audiences.some((aud) => !aud)) {
    throw new TypeError('createVerifier: `audience` is required');
  }
  const issuer = options.issuer;
  const fetchImpl: FetchFunction = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const clock = options.clock ?? Date.now;
  const algorithms = new Set<string>(options.algorithms ?? SUPPORTED_ALGORITHMS);
  const expectations: ClaimExpectations = {
    issuer,
    audiences,
    clockSkewSeconds: options.clockSkewSeconds ?? 30,
  };
  const cache = new VerifiedTokenCache(options.cacheMaxEntries ?? 10_000);

  let metadata: Promise<VerifierMetadata> | undefined;
  const discover = () => {
    metadata ??= fetchVerifierMetadata(issuer, fetchImpl).catch((error: unknown) => {
      metadata = undefined;
      throw error;
    });
    return metadata;
  };
  const endpoint = async (name: 'jwks_uri' | 'introspection_endpoint', configured?: string) => {
    if (configured) return configured;
    const url = (await discover())[name];
    if (!url) throw new TokenVerificationError('temporarily_unavailable', `the issuer publishes no ${name}`);
    return url;
  };

  const jwksFromIssuer: JwkSetSource = async () => {
    const url = await endpoint('jwks_uri', options.jwksUri);
    const body = (await fetchJson(url, fetchImpl)) as { keys?: unknown };
    if (!Array.isArray(body.keys)) {
      throw new TokenVerificationError('temporarily_unavailable', `${url} is not a JWK set`);
    }
    return body;
  };
  const jwks = new JwksCache({
    load: options.keySource ?? jwksFromIssuer,
    clock,
    cooldownMs: (options.jwksCooldownSeconds ?? 10) * 1000,
    maxAgeMs: (options.jwksMaxAgeSeconds ?? 600) * 1000,
  });

  /**
   * Decodes and checks a token. Synchronous whenever the key is ready (the common case), so the hot
   * path allocates no promises of its own; only a first sight of a key waits for the JWKS.
   */
  function verifyJwt(token: string, now: number): AccessTokenClaims | Promise<AccessTokenClaims> {
    const { header, payload, signingInput, signature } = decodeJws(token);
    const { alg, typ, kid } = header;
    // RFC 8725 §3.1: the algorithm comes from our allow-list, never from the token alone.
    if (!isSupportedAlgorithm(alg) || !algorithms.has(alg)) {
      throw invalidToken(`${named('alg', alg)} is not accepted`);
    }
    // RFC 9068 §4: reject anything not typed as an access token (an ID token, say).
    if (typ !== 'at+jwt' && (typeof typ !== 'string' || !ACCESS_TOKEN_TYPES.has(typ.toLowerCase()))) {
      throw invalidToken('token typ is not at+jwt');
    }
    // RFC 7515 §4.1.11: extensions we do not understand make the token invalid.
    if (header.crit !== undefined) throw invalidToken('token has crit header parameters');
    if (kid !== undefined && typeof kid !== 'string') throw invalidToken('token kid is not a string');

    const ready = jwks.readyCheck(kid, alg);
    if (ready) {
      const result = ready(signingInput, signature);
      if (result === true) return accept(token, payload, now);
      if (result === false) throw invalidToken('token signature is invalid');
      return result.then((valid) => acceptIfValid(valid, token, payload, now));
    }
    return jwks
      .check(kid, alg)
      .then(async (check) => acceptIfValid(await check(signingInput, signature), token, payload, now));
  }

  function acceptIfValid(valid: boolean, token: string, payload: Record<string, unknown>, now: number) {
    if (!valid) throw invalidToken('token signature is invalid');
    return accept(token, payload, now);
  }

  /** The signature holds: check the claims and remember the result until the token expires. */
  function accept(token: string, payload: Record<string, unknown>, now: number): AccessTokenClaims {
    const claims = validateClaims(payload, expectations, now);
    cache.set(token, claims, (claims.exp + expectations.clockSkewSeconds) * 1000);
    return claims;
  }

  let cacheHits = 0;
  let cacheMisses = 0;
  const stats = (): VerifierStats => ({ cacheHits, cacheMisses, cachedTokens: cache.size });

  function verifyLocally(token: string): AccessTokenClaims | Promise<AccessTokenClaims> {
    if (typeof token !== 'string' || token === '') throw invalidToken('no token');
    const now = clock();
    const cached = cache.get(token, now);
    if (cached) {
      cacheHits++;
      return cached;
    }
    cacheMisses++;
    return verifyJwt(token, now);
  }

  async function verifyWithIntrospection(token: string, introspection: IntrospectionOptions) {
    await verifyLocally(token);
    const url = await endpoint('introspection_endpoint', introspection.endpoint);
    return introspect(token, url, introspection, fetchImpl, expectations, clock());
  }

  function verify(token: string): Promise<AccessTokenClaims> {
    if (options.introspection) return verifyWithIntrospection(token, options.introspection);
    try {
      const result = verifyLocally(token);
      return result instanceof Promise ? result : Promise.resolve(result);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  return { verify, stats, issuer, audiences };
}
