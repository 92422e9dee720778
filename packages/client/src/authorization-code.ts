import type { Clock } from './clock.ts';
import { systemClock } from './clock.ts';
import { type FetchFunction, lazyMetadata } from './discovery.ts';
import { type EndpointOptions, globalFetch, scopeParameter, tokenEndpointResolver } from './endpoints.ts';
import { type IssuerOptions, resolveIssuer } from './environments.ts';
import { LatchkeyError } from './errors.ts';
import { type IdTokenClaims, validateIdToken } from './id-token.ts';
import { randomUrlSafeString, s256CodeChallenge } from './pkce.ts';
import { type ClientCredentials, requestToken, type TokenResponse } from './token-endpoint.ts';

export interface AuthorizationRequestOptions extends IssuerOptions {
  clientId: string;
  redirectUri: string;
  scope?: string | readonly string[];
  /** Skip discovery and use this authorization endpoint (then `issuer` is still needed for `iss` checks). */
  authorizationEndpoint?: string;
  /** Extra query parameters, e.g. `{ prompt: 'consent' }`. They cannot override the ones set here. */
  extraParams?: Readonly<Record<string, string>>;
  fetch?: FetchFunction;
}

/** Keep `state` and `codeVerifier` in the user's session until the callback arrives. */
export interface AuthorizationRequest {
  /** Where to send the user's browser. */
  url: string;
  /** RFC 6749 §10.12 CSRF protection: must come back unchanged in the callback. */
  state: string;
  /** RFC 7636 PKCE secret, sent only with the code exchange. */
  codeVerifier: string;
  /** The issuer the callback's `iss` must name (RFC 9207). */
  issuer: string;
  /**
   * OpenID Connect Core §3.1.2.1: set when the scope has `openid`. Keep it with `state` and pass it to
   * exchangeCode, which then requires an ID token carrying exactly this nonce.
   */
  nonce?: string;
}

/**
 * Builds an authorization code request (RFC 6749 §4.1.1) with PKCE S256 (RFC 7636) and a random state;
 * with `openid` in the scope also a random nonce ("Sign in with", OpenID Connect).
 */
export async function createAuthorizationRequest(
  options: AuthorizationRequestOptions,
): Promise<AuthorizationRequest> {
  const issuer = resolveIssuer(options);
  const endpoint =
    options.authorizationEndpoint ??
    (await lazyMetadata(issuer, options.fetch ?? globalFetch)()).authorization_endpoint;
  if (!endpoint) {
    throw new LatchkeyError('configuration_error', {
      description: 'the issuer publishes no authorization_endpoint',
    });
  }
  const state = randomUrlSafeString();
  const codeVerifier = randomUrlSafeString();
  const url = new URL(endpoint);
  for (const [name, value] of Object.entries(options.extraParams ?? {})) url.searchParams.set(name, value);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', options.clientId);
  url.searchParams.set('redirect_uri', options.redirectUri);
  const scope = scopeParameter(options.scope);
  if (scope) url.searchParams.set('scope', scope);
  url.searchParams.set('state', state);
  url.searchParams.set('code_challenge', await s256CodeChallenge(codeVerifier));
  url.searchParams.set('code_challenge_method', 'S256');
  const nonce = scope?.split(' ').includes('openid') ? randomUrlSafeString() : undefined;
  if (nonce) url.searchParams.set('nonce', nonce);
  return { url: url.toString(), state, codeVerifier, issuer, ...(nonce && { nonce }) };
}

export interface CallbackExpectations {
  /** The `state` stored with the request. */
  state: string;
  /** The issuer the request went to. */
  issuer: string;
  /**
   * Require `iss` in the response (default true: Latchkey advertises
   * `authorization_response_iss_parameter_supported`, so a response without it is not from Latchkey).
   */
  requireIss?: boolean;
}

/**
 * Checks the redirect back to `redirect_uri` and returns the code. Throws LatchkeyError with
 * `issuer_mismatch` (RFC 9207 §2.4, mix-up defence), `state_mismatch` (RFC 6749 §10.12), or the
 * server's own error (RFC 6749 §4.1.2.1, e.g. `access_denied`).
 */
export function checkCallback(
  callback: string | URL | URLSearchParams,
  expected: CallbackExpectations,
): { code: string } {
  const params = callback instanceof URLSearchParams ? callback : new URL(callback).searchParams;
  const iss = params.get('iss');
  if (iss !== null ? iss !== expected.issuer : (expected.requireIss ?? true)) {
    throw new LatchkeyError('issuer_mismatch', {
      description: `callback iss is ${iss === null ? 'missing' : `"${iss}"`}, expected "${expected.issuer}"`,
    });
  }
  if (params.get('state') !== expected.state) {
    throw new LatchkeyError('state_mismatch', { description: 'callback state does not match the request' });
  }
  const error = params.get('error');
  if (error) throw new LatchkeyError(error, { description: params.get('error_description') ?? undefined });
  const code = params.get('code');
  if (!code) {
    throw new LatchkeyError('invalid_response', { description: 'callback carries neither code nor error' });
  }
  return { code };
}

export interface CodeExchangeOptions extends EndpointOptions, ClientCredentials {
  code: string;
  codeVerifier: string;
  /** The same redirect_uri as in the request (RFC 6749 §4.1.3). */
  redirectUri: string;
  /** The request's `nonce` (it asked for `openid`): an ID token is then required and validated. */
  nonce?: string;
  clock?: Clock;
}

export type CodeExchangeResult = TokenResponse & {
  /** The validated claims of the ID token: who signed in (`sub`), where (`org_id`), when (`auth_time`). */
  idTokenClaims?: IdTokenClaims;
};

/**
 * Exchanges an authorization code for tokens (RFC 6749 §4.1.3, with the PKCE verifier). An ID token
 * in the response (always, when `nonce` is given) is validated before anything is returned: signature
 * by the issuer's published keys, issuer, audience, expiry, nonce and at_hash (./id-token.ts).
 */
export async function exchangeCode(options: CodeExchangeOptions): Promise<CodeExchangeResult> {
  const tokens = await requestToken({
    endpoint: await tokenEndpointResolver(options)(),
    params: {
      grant_type: 'authorization_code',
      code: options.code,
      redirect_uri: options.redirectUri,
      code_verifier: options.codeVerifier,
    },
    client: options,
    fetch: options.fetch ?? globalFetch,
    clock: options.clock ?? systemClock,
  });
  if (tokens.id_token === undefined) {
    if (options.nonce === undefined) return tokens;
    throw new LatchkeyError('invalid_response', {
      description: 'the request asked for openid, but the token response has no id_token',
    });
  }
  const issuer = resolveIssuer(options);
  const fetchImpl = options.fetch ?? globalFetch;
  const idTokenClaims = await validateIdToken(tokens.id_token, {
    issuer,
    clientId: options.clientId,
    nonce: options.nonce,
    accessToken: tokens.access_token,
    clock: options.clock ?? systemClock,
    jwks: async () => {
      const { jwks_uri } = await lazyMetadata(issuer, fetchImpl)();
      if (!jwks_uri)
        throw new LatchkeyError('invalid_response', { description: 'the issuer publishes no jwks_uri' });
      const response = await fetchImpl(jwks_uri, { headers: { accept: 'application/json' } });
      if (!response.ok) {
        throw new LatchkeyError('invalid_response', {
          status: response.status,
          description: `${jwks_uri} answered ${response.status}`,
        });
      }
      return (await response.json()) as { keys?: unknown };
    },
  });
  return { ...tokens, idTokenClaims };
}
