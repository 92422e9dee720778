import { type AccessTokenClaims, type ClaimExpectations, validateClaims } from './claims.ts';
import { invalidToken } from './errors.ts';
import { type FetchFunction, fetchJson } from './metadata.ts';

export interface IntrospectionOptions {
  /** The API's own client credentials: RFC 7662 §2.1 requires the caller to authenticate. */
  clientId: string;
  clientSecret: string;
  /** Defaults to the issuer's `introspection_endpoint` from discovery. */
  endpoint?: string;
}

/** RFC 6749 §2.3.1: id and secret are each form-urlencoded before they are joined and base64-encoded. */
function basicAuthorization(clientId: string, clientSecret: string): string {
  const encode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2);
  return `Basic ${btoa(`${encode(clientId)}:${encode(clientSecret)}`)}`;
}

/**
 * Asks the issuer whether the token is still active (RFC 7662 §2), so a revoked token is refused at
 * once instead of at its expiry, and validates what it answers like the claims of a JWT.
 */
export async function introspect(
  token: string,
  endpoint: string,
  options: IntrospectionOptions,
  fetchImpl: FetchFunction,
  expected: ClaimExpectations,
  now: number,
): Promise<AccessTokenClaims> {
  const response = (await fetchJson(endpoint, fetchImpl, {
    method: 'POST',
    headers: {
      authorization: basicAuthorization(options.clientId, options.clientSecret),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
  })) as Record<string, unknown>;
  // RFC 7662 §2.2: `active` is the only required member; false says nothing about why, on purpose.
  if (response.active !== true) throw invalidToken('token is not active');
  return validateClaims(response, expected, now);
}
