import type { Services } from '../services.ts';
import type { Client } from '../store/clients.ts';
import { OAuthError } from './errors.ts';
import { readCodeChallenge } from './pkce.ts';
import { type ClosestRedirectUri, closestRedirectUri } from './redirect-uri.ts';
import { clientScopes, resolveScope } from './scope.ts';

/** A valid authorization request (RFC 6749 §4.1.1), ready for sign-in and consent. */
export interface AuthorizationRequest {
  client: Client;
  redirectUri: string;
  /** redirect_uri was in the request (RFC 6749 §4.1.3: the token request must then repeat it). */
  redirectUriSent: boolean;
  scope: string[];
  state: string | undefined;
  codeChallenge: string | undefined;
  prompt: string[];
}

/**
 * Problems that must not be sent to the redirect URI (RFC 6749 §4.1.2.1, RFC 9700 §4.11.1): the
 * person sees a page instead. `closest` names the registered URI nearest to the requested one.
 */
export interface AuthorizationPageError {
  kind: 'page';
  title: string;
  message: string;
  client?: Client;
  requestedRedirectUri?: string;
  closest?: ClosestRedirectUri;
}

/** Everything else goes back to the client (RFC 6749 §4.1.2.1) with `state` and `iss`. */
export interface AuthorizationRedirectError {
  kind: 'redirect';
  redirectUri: string;
  state: string | undefined;
  error: OAuthError;
}

export type AuthorizationValidation =
  | { kind: 'ok'; request: AuthorizationRequest }
  | AuthorizationPageError
  | AuthorizationRedirectError;

/** Query parameters as parsed by the HTTP layer: a repeated one arrives as an array. */
export type RawQuery = Readonly<Record<string, string | string[] | undefined>>;

const single = (query: RawQuery, name: string): { value: string | undefined; repeated: boolean } => {
  const v = query[name];
  if (Array.isArray(v)) return { value: undefined, repeated: true };
  // RFC 6749 §3.1: parameters sent without a value are treated as omitted.
  return { value: v === '' ? undefined : v, repeated: false };
};

const supportedPrompts = new Set(['none', 'consent']);

export async function validateAuthorizationRequest(
  query: RawQuery,
  s: Services,
): Promise<AuthorizationValidation> {
  // 1. Client and redirect URI first: until both are known to be right, nothing is redirected.
  const clientId = single(query, 'client_id');
  if (clientId.repeated || clientId.value === undefined) {
    return {
      kind: 'page',
      title: 'The app’s sign-in link is incomplete',
      message: clientId.repeated
        ? 'The request names client_id more than once.'
        : 'The request does not say which app is asking (client_id is missing).',
    };
  }
  const client = await s.store.clients.find(clientId.value);
  if (!client) {
    return {
      kind: 'page',
      title: 'Unknown app',
      message: `No app is registered with the client ID “${clientId.value}”. The credentials may have been deleted, or the link points to another environment than “${s.config.environment}”.`,
    };
  }
  const redirect = single(query, 'redirect_uri');
  if (redirect.repeated) {
    return {
      kind: 'page',
      client,
      title: 'The app’s sign-in link is not valid',
      message: 'The request names redirect_uri more than once.',
    };
  }
  let redirectUri: string;
  if (redirect.value === undefined) {
    // RFC 6749 §3.1.2.3: with exactly one registered URI it may be omitted.
    if (client.redirectUris.length !== 1) {
      return {
        kind: 'page',
        client,
        title: 'The app’s sign-in link is not valid',
        message:
          client.redirectUris.length === 0
            ? 'This app has no redirect URL registered, so it cannot receive an authorization.'
            : 'This app has several redirect URLs registered, so the request must say which one to use (redirect_uri).',
      };
    }
    redirectUri = client.redirectUris[0]!;
  } else {
    // Exact string comparison, character for character (RFC 9700 §4.1.3; DESIGN.md).
    if (!client.redirectUris.includes(redirect.value)) {
      return {
        kind: 'page',
        client,
        title: 'This redirect URL is not registered',
        message:
          'For your security, we only send you back to addresses the app has registered, exactly as registered. This one does not match, so you were not redirected.',
        requestedRedirectUri: redirect.value,
        closest: closestRedirectUri(redirect.value, client.redirectUris),
      };
    }
    redirectUri = redirect.value;
  }

  // 2. From here on, errors are redirected to the (now trusted) redirect URI.
  const stateParam = single(query, 'state');
  const state = stateParam.value;
  const fail = (code: OAuthError['code'], description: string): AuthorizationRedirectError => ({
    kind: 'redirect',
    redirectUri,
    state,
    error: new OAuthError(code, description),
  });
  // RFC 6749 §3.1: no parameter more than once.
  const repeated = Object.entries(query).find(([, v]) => Array.isArray(v));
  if (repeated) return fail('invalid_request', `Parameter "${repeated[0]}" appears more than once`);

  const responseType = single(query, 'response_type').value;
  if (responseType === undefined)
    return fail('invalid_request', 'Missing parameter "response_type"; use response_type=code');
  if (responseType !== 'code') {
    return fail('unsupported_response_type', `response_type "${responseType}" is not supported; use code`);
  }
  const responseMode = single(query, 'response_mode').value;
  if (responseMode !== undefined && responseMode !== 'query') {
    return fail('invalid_request', `response_mode "${responseMode}" is not supported; use query`);
  }
  if (!client.grantTypes.includes('authorization_code')) {
    return fail(
      'unauthorized_client',
      'These credentials are not allowed to use the authorization code flow',
    );
  }
  if (query.request !== undefined || query.request_uri !== undefined) {
    return fail('invalid_request', 'Request objects (request, request_uri) are not supported');
  }

  let scope: string[];
  try {
    scope = resolveScope(single(query, 'scope').value, clientScopes(client.scopes, s.config.scopes));
  } catch (error) {
    if (error instanceof OAuthError) return fail(error.code, error.message);
    throw error;
  }

  let codeChallenge: string | undefined;
  try {
    codeChallenge = readCodeChallenge(
      single(query, 'code_challenge').value,
      single(query, 'code_challenge_method').value,
    );
  } catch (error) {
    if (error instanceof OAuthError) return fail(error.code, error.message);
    throw error;
  }
  if (codeChallenge === undefined) {
    // RFC 9700 §2.1.1: PKCE for public clients always; for confidential ones unless registered as legacy.
    if (client.isPublic)
      return fail('invalid_request', 'PKCE is required: send code_challenge and code_challenge_method=S256');
    if (s.config.requirePkce && !client.pkceOptional) {
      return fail(
        'invalid_request',
        'PKCE is required on this server: send code_challenge and code_challenge_method=S256',
      );
    }
  }

  const prompt = (single(query, 'prompt').value ?? '').split(' ').filter(Boolean);
  const unknownPrompt = prompt.find((p) => !supportedPrompts.has(p));
  if (unknownPrompt) return fail('invalid_request', `prompt "${unknownPrompt}" is not supported`);
  if (prompt.includes('none') && prompt.length > 1)
    return fail('invalid_request', 'prompt=none cannot be combined');

  return {
    kind: 'ok',
    request: {
      client,
      redirectUri,
      redirectUriSent: redirect.value !== undefined,
      scope,
      state,
      codeChallenge,
      prompt,
    },
  };
}

/**
 * The URL an authorization response goes to: the registered URI with its own query kept (RFC 6749
 * §3.1.2) plus the response parameters, `state` exactly as sent (§4.1.2) and `iss` (RFC 9207 §2).
 */
export function authorizationResponseUrl(
  redirectUri: string,
  params: Record<string, string | undefined>,
  issuer: string,
): string {
  // Appended to the registered string as is: re-serializing its query could change the client's bytes.
  const pairs = Object.entries({ ...params, iss: issuer })
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`);
  const separator = redirectUri.includes('?') ? (/[?&]$/.test(redirectUri) ? '' : '&') : '?';
  return `${redirectUri}${separator}${pairs.join('&')}`;
}

export function errorResponseUrl(
  e: { redirectUri: string; state: string | undefined; error: OAuthError },
  issuer: string,
): string {
  return authorizationResponseUrl(
    e.redirectUri,
    { error: e.error.code, error_description: e.error.message, state: e.state },
    issuer,
  );
}
