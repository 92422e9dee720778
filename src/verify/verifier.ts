import { isSupportedAlgorithm, SUPPORTED_ALGORITHMS, type SupportedAlgorithm } from './algorithms.ts';
import type { AccessTokenClaims, ClaimExpectations } from './claims.ts';
import { validateClaims } from './claims.ts';
import { invalidToken, TokenVerificationError } from './errors.ts';
import { type IntrospectionOptions, introspect } from './introspection.ts';
import { JwksCache } from './jwks.ts';
import { decodeJws } from './jwt.ts';
import { type FetchFunction, fetchVerifierMetadata, type VerifierMetadata } from './metadata.ts';
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

  const jwks = new JwksCache({
    jwksUri: () => endpoint('jwks_uri', options.jwksUri),
    fetch: fetchImpl,
    clock,
    cooldownMs: (options.jwksCooldownSeconds ?? 10) * 1000,
    maxAgeMs: (options.jwksMaxAgeSeconds ?? 600) * 1000,
  });

  async function verifyJwt(token: string, now: number): Promise<AccessTokenClaims> {
    const { header, payload, signingInput, signature } = decodeJws(token);
    const { alg, typ, kid } = header;
    // RFC 8725 §3.1: the algorithm comes from our allow-list, never from the token alone.
    if (!isSupportedAlgorithm(alg) || !algorithms.has(alg))
      throw invalidToken(`alg "${String(alg)}" is not accepted`);
    // RFC 9068 §4: reject anything not typed as an access token (an ID token, say).
    if (typeof typ !== 'string' || !ACCESS_TOKEN_TYPES.has(typ.toLowerCase())) {
      throw invalidToken('token typ is not at+jwt');
    }
    // RFC 7515 §4.1.11: extensions we do not understand make the token invalid.
    if (header.crit !== undefined) throw invalidToken('token has crit header parameters');
    if (kid !== undefined && typeof kid !== 'string') throw invalidToken('token kid is not a string');

    const check = jwks.readyCheck(kid, alg) ?? (await jwks.check(kid, alg));
    const result = check(signingInput, signature);
    if (!(typeof result === 'boolean' ? result : await result))
      throw invalidToken('token signature is invalid');
    return validateClaims(payload, expectations, now);
  }

  let cacheHits = 0;
  let cacheMisses = 0;
  const stats = (): VerifierStats => ({ cacheHits, cacheMisses, cachedTokens: cache.size });

  async function verify(token: string): Promise<AccessTokenClaims> {
    if (typeof token !== 'string' || token === '') throw invalidToken('no token');
    const now = clock();
    let claims = cache.get(token, now);
    if (claims) {
      cacheHits++;
    } else {
      cacheMisses++;
      claims = await verifyJwt(token, now);
      cache.set(token, claims, (claims.exp + expectations.clockSkewSeconds) * 1000);
    }
    const introspection = options.introspection;
    if (!introspection) return claims;
    const url = await endpoint('introspection_endpoint', introspection.endpoint);
    return introspect(token, url, introspection, fetchImpl, expectations, now);
  }

  return { verify, stats, issuer, audiences };
}
