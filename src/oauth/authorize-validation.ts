// The authorization endpoint's parameter validation (RFC 6749 §4.1.1): client and redirect URI first.
import type { Config } from '../config/index.ts';
import { lookUpClient } from './client-lookup.ts';
import { OAuthError, type OAuthErrorCode } from './errors.ts';
import { isUrlClientId } from './metadata-document.ts';
import type { ClientMetadataDocuments } from './metadata-document-clients.ts';
import type { Client } from './model/clients.ts';
import { readCodeChallenge } from './pkce.ts';
import type { AuthorizationFlowStorage } from './ports.ts';
import { readSessionParameters } from './prompt.ts';
import { type ClosestRedirectUri, closestRedirectUri } from './redirect-uri.ts';
import { maxParameterLength, overlongParameter } from './request-limits.ts';
import { checkResource, scopesForResource } from './resource.ts';
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
  /** RFC 8707: the resource the tokens are for. */
  resource: string | undefined;
  /** OpenID Connect Core §3.1.2.1 (./prompt.ts). */
  maxAge?: number;
  loginHint?: string;
  /** OpenID Connect Core §3.1.2.1: echoed in the ID token (at most `maxParameterLength` long). */
  nonce: string | undefined;
}

/**
 * Problems that must not be sent to the redirect URI (RFC 6749 §4.1.2.1, RFC 9700 §4.11.1): the
 * person sees a page instead, worded by the page from `reason`. `closest` names the registered URI
 * nearest to the requested one.
 */
export type AuthorizationRequestPage =
  | { kind: 'page'; reason: 'client_id_missing' | 'client_id_repeated' }
  /** RFC 9126 §4: the request_uri is unknown, expired, used, or pushed by another client. */
  | { kind: 'page'; reason: 'request_uri_invalid' }
  /** This address sent more authorization requests than anyone needs (./request-limits.ts). */
  | { kind: 'page'; reason: 'too_many_requests'; retryAfter: number }
  | { kind: 'page'; reason: 'unknown_client'; clientId: string }
  /** A client_id URL whose metadata document could not be used (./metadata-document-clients.ts). */
  | { kind: 'page'; reason: 'client_document_refused'; clientId: string; problem: string }
  /** The operator blocked this client. */
  | { kind: 'page'; reason: 'client_blocked'; clientId: string }
  | {
      kind: 'page';
      reason: 'redirect_uri_repeated' | 'no_redirect_uri_registered' | 'redirect_uri_ambiguous';
      client: Client;
    }
  | {
      kind: 'page';
      reason: 'redirect_uri_not_registered';
      client: Client;
      requestedRedirectUri: string;
      closest: ClosestRedirectUri | undefined;
    };

/** Everything else goes back to the client: the full URL, with `error`, `state` and `iss`. */
export interface AuthorizationRedirect {
  kind: 'redirect';
  url: string;
  /** The error the URL carries, for callers that answer in JSON instead (PAR, RFC 9126 §2.3). */
  error?: OAuthError;
}

export type AuthorizationValidation =
  | { kind: 'ok'; request: AuthorizationRequest }
  | AuthorizationRequestPage
  | AuthorizationRedirect;

/** Query parameters as parsed by the HTTP layer: a repeated one arrives as an array. */
export type RawQuery = Readonly<Record<string, string | string[] | undefined>>;

const single = (query: RawQuery, name: string): { value: string | undefined; repeated: boolean } => {
  const v = query[name];
  if (Array.isArray(v)) return { value: undefined, repeated: true };
  // RFC 6749 §3.1: parameters sent without a value are treated as omitted.
  return { value: v === '' ? undefined : v, repeated: false };
};

/**
 * The parameters this endpoint reads (RFC 6749 §4.1.1, RFC 7636 §4.3, RFC 8707 §2, OpenID Connect
 * `prompt`, `max_age`, `login_hint`, `nonce`; `request` and `request_uri` to refuse them): a pushed request
 * keeps these only, since §3.1 has the server ignore the others.
 */
export const authorizationParameters: ReadonlySet<string> = new Set([
  'client_id',
  'redirect_uri',
  'response_type',
  'response_mode',
  'scope',
  'state',
  'code_challenge',
  'code_challenge_method',
  'resource',
  'prompt',
  'max_age',
  'login_hint',
  'nonce',
  'request',
  'request_uri',
]);

export interface AuthorizationValidationDeps {
  readonly store: Pick<AuthorizationFlowStorage, 'clients'>;
  readonly config: Pick<Config, 'issuer' | 'scopes' | 'requirePkce' | 'resources'>;
  /** Client ID Metadata Documents; absent while LATCHKEY_CLIENT_METADATA_DOCUMENTS is off. */
  readonly clientDocuments?: ClientMetadataDocuments;
}

/** Checks an authorization request (RFC 6749 §4.1.1); the first step of ./authorize-flow.ts. */
export async function validateAuthorizationRequest(
  query: RawQuery,
  deps: AuthorizationValidationDeps,
  /** Who asked (`address`), and whether the authenticated client pushed the parameters (RFC 9126). */
  from: { address: string; pushed?: boolean },
): Promise<AuthorizationValidation> {
  const { config } = deps;
  const pushed = from.pushed ?? false;
  // 1. Client and redirect URI first: until both are known to be right, nothing is redirected.
  const clientId = single(query, 'client_id');
  if (clientId.repeated) return { kind: 'page', reason: 'client_id_repeated' };
  if (clientId.value === undefined) return { kind: 'page', reason: 'client_id_missing' };
  const found = await clientOfRequest(clientId.value, deps, from.address);
  if (found.kind === 'page') return found;
  const { client } = found;
  const redirect = single(query, 'redirect_uri');
  if (redirect.repeated) return { kind: 'page', reason: 'redirect_uri_repeated', client };
  let redirectUri: string;
  if (redirect.value === undefined) {
    // RFC 6749 §3.1.2.3: with exactly one registered URI it may be omitted.
    if (client.redirectUris.length === 0)
      return { kind: 'page', reason: 'no_redirect_uri_registered', client };
    if (client.redirectUris.length > 1) return { kind: 'page', reason: 'redirect_uri_ambiguous', client };
    redirectUri = client.redirectUris[0]!;
  } else {
    // Exact string comparison, character for character (RFC 9700 §4.1.3; DESIGN.md).
    if (!client.redirectUris.includes(redirect.value)) {
      return {
        kind: 'page',
        reason: 'redirect_uri_not_registered',
        client,
        requestedRedirectUri: redirect.value,
        closest: closestRedirectUri(redirect.value, client.redirectUris),
      };
    }
    redirectUri = redirect.value;
  }

  // 2. From here on, errors are redirected to the (now trusted) redirect URI.
  const stateParam = single(query, 'state');
  // A state too long to keep is refused below, and not sent back either.
  const state = (stateParam.value?.length ?? 0) > maxParameterLength ? undefined : stateParam.value;
  const fail = (code: OAuthErrorCode, description: string): AuthorizationRedirect =>
    errorRedirect({ redirectUri, state }, new OAuthError(code, description), config.issuer);
  // RFC 6749 §3.1: no parameter more than once.
  const repeated = Object.entries(query).find(([, v]) => Array.isArray(v));
  if (repeated) return fail('invalid_request', `Parameter "${repeated[0]}" appears more than once`);
  const overlong = overlongParameter(query);
  if (overlong !== undefined) {
    return fail(
      'invalid_request',
      `Parameter "${overlong.slice(0, 40)}" is longer than ${maxParameterLength} characters`,
    );
  }

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
  // RFC 9126 §6: this client sends its authorization requests through PAR only.
  if (client.requirePar && !pushed) {
    return fail(
      'invalid_request',
      'These credentials must push the authorization request first (POST /oauth/par, RFC 9126)',
    );
  }

  let scope: string[];
  let resource: string | undefined;
  try {
    resource = checkResource(single(query, 'resource').value, config);
    const allowed = scopesForResource(clientScopes(client.scopes, config.scopes), resource, config);
    scope = resolveScope(single(query, 'scope').value, allowed);
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
    // RFC 9700 §2.1.1: PKCE for public clients always, and for software that registered itself (the
    // MCP authorization specification requires it); for other confidential ones unless legacy.
    if (client.isPublic || client.origin !== 'console')
      return fail('invalid_request', 'PKCE is required: send code_challenge and code_challenge_method=S256');
    if (config.requirePkce && !client.pkceOptional) {
      return fail(
        'invalid_request',
        'PKCE is required on this server: send code_challenge and code_challenge_method=S256',
      );
    }
  }

  let session: ReturnType<typeof readSessionParameters>;
  try {
    session = readSessionParameters(
      single(query, 'prompt').value,
      single(query, 'max_age').value,
      single(query, 'login_hint').value,
    );
  } catch (error) {
    if (error instanceof OAuthError) return fail(error.code, error.message);
    throw error;
  }

  return {
    kind: 'ok',
    request: {
      client,
      redirectUri,
      redirectUriSent: redirect.value !== undefined,
      scope,
      state,
      codeChallenge,
      prompt: session.prompt,
      resource,
      ...(session.maxAge !== undefined && { maxAge: session.maxAge }),
      ...(session.loginHint !== undefined && { loginHint: session.loginHint }),
      nonce: single(query, 'nonce').value,
    },
  };
}

/**
 * The client a request names: a registered one, or (while the feature is on) the one a client_id URL's
 * metadata document describes. Without the feature, a URL is as unknown as any other id, including
 * a client stored from a document while the feature was on.
 */
async function clientOfRequest(
  clientId: string,
  deps: AuthorizationValidationDeps,
  address: string,
): Promise<{ kind: 'client'; client: Client } | AuthorizationRequestPage> {
  if (deps.clientDocuments && isUrlClientId(clientId)) {
    const resolved = await deps.clientDocuments.resolve(clientId, address);
    switch (resolved.kind) {
      case 'client':
        return resolved;
      case 'refused':
        return { kind: 'page', reason: 'client_document_refused', clientId, problem: resolved.problem };
      case 'blocked':
        return { kind: 'page', reason: 'client_blocked', clientId };
      case 'too_many':
        return { kind: 'page', reason: 'too_many_requests', retryAfter: resolved.retryAfter };
    }
  }
  const found = await lookUpClient(deps.store.clients, clientId);
  if (found.kind === 'unknown' || (found.client.origin === 'metadata_document' && !deps.clientDocuments)) {
    return { kind: 'page', reason: 'unknown_client', clientId };
  }
  // Blocked by the operator (./client-lookup.ts): nothing is sent back to it.
  if (found.kind === 'blocked') return { kind: 'page', reason: 'client_blocked', clientId };
  return { kind: 'client', client: found.client };
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

/** An error response (RFC 6749 §4.1.2.1) to a redirect URI already known to be registered. */
export function errorRedirect(
  to: { redirectUri: string; state: string | undefined },
  error: OAuthError,
  issuer: string,
): AuthorizationRedirect {
  const params = { error: error.code, error_description: error.message, state: to.state };
  return { kind: 'redirect', url: authorizationResponseUrl(to.redirectUri, params, issuer), error };
}
