import { decodeProtectedHeader, errors as jose, jwtVerify } from 'jose';
import { isSupportedAlgorithm, SUPPORTED_ALGORITHMS, type SupportedAlgorithm } from './algorithms.ts';
import type { AccessTokenClaims, ClaimExpectations } from './claims.ts';
import { typedClaims } from './claims.ts';
import { invalidToken, named, TokenVerificationError } from './errors.ts';
import { type IntrospectionOptions, introspect } from './introspection.ts';
import { type JwkSetSource, JwksCache } from './jwks.ts';
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
  // RFC 8725 §3.1: the algorithm comes from our allow-list, never from the token alone.
  const algorithms = (options.algorithms ?? SUPPORTED_ALGORITHMS).filter(isSupportedAlgorithm);
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
   * Checks a token with jose: the signature with the issuer's key for its `kid`, an accepted `alg`,
   * RFC 9068 §4 `typ` (an ID token is not an access token), `iss`, `aud`, `exp` and `nbf` with the
   * clock skew, and no `crit` extension jose does not implement (RFC 7515 §4.1.11). Then Latchkey's
   * claims, and the result is kept until the token expires.
   */
  async function verifyJwt(token: string, now: number): Promise<AccessTokenClaims> {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, jwks.key, {
        algorithms,
        typ: 'at+jwt',
        issuer,
        audience: audiences,
        requiredClaims: ['exp'],
        clockTolerance: expectations.clockSkewSeconds,
        currentDate: new Date(now),
      }));
    } catch (error) {
      throw refusal(error, token);
    }
    const claims = typedClaims(payload);
    cache.set(token, claims, (claims.exp + expectations.clockSkewSeconds) * 1000);
    return claims;
  }

  let cacheHits = 0;
  let cacheMisses = 0;
  const stats = (): VerifierStats => ({ cacheHits, cacheMisses, cachedTokens: cache.size });

  /** The verified-token cache first: a hit does no JOSE work at all. */
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

/** What jose refused, said as the verifier says it; only header values that look like names are repeated. */
const CLAIM_REFUSALS: Readonly<Record<string, string>> = {
  typ: 'token typ is not at+jwt',
  iss: 'token is from another issuer',
  aud: 'token is meant for another audience',
  exp: 'token has no exp',
  nbf: 'token is not valid yet',
  iat: 'token iat is not a number',
};

function refusal(error: unknown, token: string): unknown {
  if (!(error instanceof jose.JOSEError)) return error;
  if (error instanceof jose.JWSSignatureVerificationFailed) return invalidToken('token signature is invalid');
  if (error instanceof jose.JWTExpired) return invalidToken('token has expired');
  if (error instanceof jose.JWTClaimValidationFailed) {
    return invalidToken(CLAIM_REFUSALS[error.claim] ?? 'token claims are not valid');
  }
  let header: Record<string, unknown> | undefined;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    return invalidToken('token is not a JWS compact serialization');
  }
  if (error instanceof jose.JOSEAlgNotAllowed || !isSupportedAlgorithm(header.alg)) {
    return invalidToken(`${named('alg', header.alg)} is not accepted`);
  }
  if (header.crit !== undefined) return invalidToken('token has crit header parameters');
  return invalidToken('token is not a valid JWT', error);
}
