import { invalidToken } from './errors.ts';

/** The claims of a verified Latchkey access token (RFC 9068 §2.2 plus Latchkey's `org_id`). */
export interface AccessTokenClaims {
  readonly iss: string;
  /** The user for user grants, the client for client_credentials. */
  readonly sub: string;
  readonly aud: string | readonly string[];
  readonly client_id: string;
  /** The organization the grant is bound to. */
  readonly org_id: string;
  /** Space-separated, as in the token (RFC 8693 §4.2). */
  readonly scope: string;
  /** `scope` split into its entries. */
  readonly scopes: readonly string[];
  /** Seconds since the epoch. */
  readonly exp: number;
  readonly iat: number | undefined;
  readonly jti: string | undefined;
  /** Every claim as it came in, for anything not typed above. */
  readonly raw: Readonly<Record<string, unknown>>;
}

export interface ClaimExpectations {
  issuer: string;
  /** Accepted audiences: the token's `aud` must contain at least one (RFC 9068 §4). */
  audiences: readonly string[];
  clockSkewSeconds: number;
}

/**
 * Checks the registered claims (RFC 7519 §4.1, RFC 9068 §4) and returns them typed: for an
 * introspection answer (RFC 7662 §2.2), which carries the claims of a token jose did not parse.
 */
export function validateClaims(
  payload: Record<string, unknown>,
  expected: ClaimExpectations,
  nowMs: number,
): AccessTokenClaims {
  const now = nowMs / 1000;
  const { iss, aud, exp, nbf } = payload;
  if (iss !== expected.issuer) throw invalidToken('token is from another issuer');
  if (!audienceMatches(aud, expected.audiences)) throw invalidToken('token is meant for another audience');
  if (typeof exp !== 'number') throw invalidToken('token has no exp');
  // RFC 7519 §4.1.4: not accepted on or after exp; the skew absorbs clocks that disagree a little.
  if (now >= exp + expected.clockSkewSeconds) throw invalidToken('token has expired');
  if (nbf !== undefined && (typeof nbf !== 'number' || now < nbf - expected.clockSkewSeconds)) {
    throw invalidToken('token is not valid yet');
  }
  return typedClaims(payload);
}

/**
 * The claims of a token whose registered claims were checked (`iss`, `aud`, `exp`: by jose for a
 * JWT, by validateClaims for an introspection answer), with Latchkey's own checked and typed.
 */
export function typedClaims(payload: Record<string, unknown>): AccessTokenClaims {
  const { iss, sub, aud, client_id, org_id, scope, exp, iat, jti } = payload;
  if (typeof sub !== 'string' || typeof client_id !== 'string') {
    throw invalidToken('token lacks sub or client_id');
  }
  if (typeof org_id !== 'string') throw invalidToken('token lacks org_id');
  if (scope !== undefined && typeof scope !== 'string') throw invalidToken('token scope is not a string');
  if (iat !== undefined && typeof iat !== 'number') throw invalidToken('token iat is not a number');

  const scopeText = scope ?? '';
  return Object.freeze({
    iss: iss as string,
    sub,
    aud: aud as string | readonly string[],
    client_id,
    org_id,
    scope: scopeText,
    scopes: Object.freeze(splitScope(scopeText)),
    exp: exp as number,
    iat,
    jti: typeof jti === 'string' ? jti : undefined,
    raw: payload,
  });
}

/** RFC 6749 §3.3: space-delimited; tolerate stray spaces without paying for a filter on every token. */
function splitScope(scope: string): string[] {
  if (scope === '') return [];
  const scopes = scope.split(' ');
  return scopes.includes('') ? scopes.filter(Boolean) : scopes;
}

/** RFC 7519 §4.1.3: `aud` is a string or an array of strings. */
function audienceMatches(aud: unknown, accepted: readonly string[]): boolean {
  if (typeof aud === 'string') return accepted.includes(aud);
  if (Array.isArray(aud)) return aud.some((entry) => typeof entry === 'string' && accepted.includes(entry));
  return false;
}

/** True when every scope in `required` was granted. */
export function hasScopes(claims: Pick<AccessTokenClaims, 'scopes'>, required: readonly string[]): boolean {
  return required.every((scope) => claims.scopes.includes(scope));
}
