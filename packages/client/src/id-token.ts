import type { Clock } from './clock.ts';
import { LatchkeyError } from './errors.ts';
import { base64UrlEncode } from './pkce.ts';

/** The claims of a validated ID token (OpenID Connect Core 1.0 §2, §5.1; `org_id` is Latchkey's). */
export interface IdTokenClaims {
  iss: string;
  /** The person: stable, the same for every client. */
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  auth_time?: number;
  nonce?: string;
  at_hash?: string;
  /** The organization the person chose at consent. */
  org_id?: string;
  name?: string;
  email?: string;
  email_verified?: boolean;
  [claim: string]: unknown;
}

export interface IdTokenExpectations {
  issuer: string;
  clientId: string;
  /** The request's nonce; undefined: the token must carry none. */
  nonce: string | undefined;
  /** The access token of the same response, for `at_hash` (§3.1.3.6). */
  accessToken: string;
  /** The issuer's JWK set (its jwks_uri). */
  jwks: () => Promise<{ keys?: unknown }>;
  clock: Clock;
  /** Tolerance for clocks that disagree, on `exp` (default 30 s). */
  clockSkewSeconds?: number;
}

const refuse = (description: string): LatchkeyError => new LatchkeyError('invalid_id_token', { description });

function decodePart(part: string | undefined): Record<string, unknown> {
  try {
    const binary = atob((part ?? '').replace(/-/g, '+').replace(/_/g, '/'));
    const value = JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
    if (value && typeof value === 'object' && !Array.isArray(value)) return value;
  } catch {}
  throw refuse('the ID token is not a JWT');
}

const bytes = (base64url: string): Uint8Array<ArrayBuffer> =>
  Uint8Array.from(atob(base64url.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));

/**
 * Validates an ID token the way OpenID Connect Core §3.1.3.7 asks, with WebCrypto only (the SDK has
 * no dependencies): an ES256 signature by a key of the issuer's JWKS (Latchkey signs with ES256 and
 * nothing else, so no other `alg` is taken), then `iss`, `aud`, `exp`, `nonce` and `at_hash`.
 */
export async function validateIdToken(
  idToken: string,
  expected: IdTokenExpectations,
): Promise<IdTokenClaims> {
  const parts = idToken.split('.');
  if (parts.length !== 3) throw refuse('the ID token is not a compact JWS');
  const header = decodePart(parts[0]);
  const claims = decodePart(parts[1]);
  if (header.alg !== 'ES256') throw refuse('the ID token is not signed with ES256');
  // An access token (RFC 9068 `at+jwt`) is not an ID token.
  if (header.typ !== undefined && header.typ !== 'JWT') throw refuse('the ID token is not typed JWT');

  const keys = (await expected.jwks()).keys;
  const jwk = (Array.isArray(keys) ? keys : []).find(
    (k: Record<string, unknown>) =>
      k?.kty === 'EC' && k.crv === 'P-256' && (header.kid === undefined || k.kid === header.kid),
  ) as { x: string; y: string } | undefined;
  if (!jwk) throw refuse('no key of the issuer’s JWKS matches the ID token’s kid');
  let valid = false;
  try {
    const key = await crypto.subtle.importKey(
      'jwk',
      { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y },
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['verify'],
    );
    // JWS ES256 signatures are r‖s (RFC 7518 §3.4), the form WebCrypto verifies.
    valid = await crypto.subtle.verify(
      { name: 'ECDSA', hash: 'SHA-256' },
      key,
      bytes(parts[2]!),
      new TextEncoder().encode(`${parts[0]}.${parts[1]}`),
    );
  } catch {}
  if (!valid) throw refuse('the ID token’s signature is invalid');

  const { iss, sub, aud, exp, iat, nonce, at_hash, azp } = claims;
  if (iss !== expected.issuer) throw refuse(`the ID token is from "${String(iss)}"`);
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  if (!audiences.includes(expected.clientId)) throw refuse('the ID token is for another client');
  if (audiences.length > 1 && azp !== expected.clientId) throw refuse('the ID token names other audiences');
  if (typeof sub !== 'string' || sub === '') throw refuse('the ID token has no sub');
  if (typeof exp !== 'number' || typeof iat !== 'number') throw refuse('the ID token lacks exp or iat');
  if (expected.clock() / 1000 >= exp + (expected.clockSkewSeconds ?? 30))
    throw refuse('the ID token expired');
  // §3.1.3.7 step 11: exactly the request's nonce, or none when the request had none.
  if (nonce !== expected.nonce) throw refuse('the ID token’s nonce is not the request’s');
  if (at_hash !== undefined) {
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(expected.accessToken));
    if (at_hash !== base64UrlEncode(new Uint8Array(digest).subarray(0, 16))) {
      throw refuse('the ID token’s at_hash does not match the access token');
    }
  }
  return claims as IdTokenClaims;
}
