// The authorization endpoint's pushed requests (RFC 9126): POST /oauth/par, and taking a request_uri once.
/**
 * Pushed authorization requests (RFC 9126). The client sends the authorization request's parameters
 * straight to the server, authenticated; it gets a one-time `request_uri` to send the person's
 * browser to /oauth/authorize with. The parameters never pass through the browser, so they cannot
 * be read or changed there.
 */
import type { Clock } from '../clock.ts';
import type { Config } from '../config/index.ts';
import { randomToken, sha256 } from '../crypto.ts';
import {
  type AuthorizationValidationDeps,
  authorizationParameters,
  type RawQuery,
  validateAuthorizationRequest,
} from './authorize-validation.ts';
import { authenticateClient, type ClientAuthenticationDeps, readClientCredentials } from './client-auth.ts';
import { OAuthError, slowDown } from './errors.ts';
import { isUrlClientId } from './metadata-document.ts';
import type { PushedRequest } from './model/pushed-requests.ts';
import type { Params } from './params.ts';
import type { PushedRequestStorage } from './ports.ts';
import { checkPushedRequestSize, countParkedRequest } from './request-limits.ts';

/** RFC 9126 §2.2: short-lived; DESIGN.md: 60 s, single use. */
export const pushedRequestTtlSeconds = 60;
const uriPrefix = 'urn:ietf:params:oauth:request_uri:';

export type PushedRequestDeps = ClientAuthenticationDeps &
  AuthorizationValidationDeps & {
    readonly store: PushedRequestStorage;
    readonly config: Pick<Config, 'issuer' | 'scopes' | 'requirePkce' | 'resources'>;
    readonly clock: Clock;
  };

/** POST /oauth/par → 201 `{request_uri, expires_in}`; errors are RFC 6749 §5.2 JSON (§2.3). */
export async function pushAuthorizationRequest(
  params: Params,
  authorization: string | undefined,
  ip: string,
  s: PushedRequestDeps,
): Promise<{ request_uri: string; expires_in: number }> {
  const credentials = readClientCredentials(authorization, params, '/oauth/par');
  await refreshDocumentClient(credentials.clientId, ip, s);
  const auth = await authenticateClient(credentials, ip, s);
  // A public client is anyone who knows its client_id: its pushes are counted per address.
  const retryAfter = auth.client.isPublic ? await countParkedRequest(ip, s.limiter) : undefined;
  if (retryAfter !== undefined) {
    throw slowDown(`Too many pushed requests from this address; retry in ${retryAfter} s`, retryAfter);
  }
  // §2.1: request_uri must not be pushed itself.
  if (params.request_uri !== undefined) {
    throw new OAuthError('invalid_request', 'request_uri cannot be pushed; send the parameters themselves');
  }
  // Only what the authorization endpoint reads is kept (client credentials and unknown names are not).
  const pushed: Record<string, string> = {};
  for (const [name, value] of Object.entries(params))
    if (authorizationParameters.has(name)) pushed[name] = value;
  // The authenticated client, whatever the body said (readClientCredentials refused a mismatch).
  pushed.client_id = auth.client.id;
  checkPushedRequestSize(pushed);

  const v = await validateAuthorizationRequest(pushed, s, { address: ip, pushed: true });
  if (v.kind === 'redirect') throw v.error ?? new OAuthError('invalid_request', 'Invalid request');
  if (v.kind === 'page') throw new OAuthError('invalid_request', pageProblem(v.reason));

  const requestUri = `${uriPrefix}${randomToken(32)}`;
  await s.store.pushedRequests.create({
    uriHash: sha256(requestUri),
    clientId: auth.client.id,
    params: pushed,
    expiresAt: s.clock() + pushedRequestTtlSeconds * 1000,
  });
  return { request_uri: requestUri, expires_in: pushedRequestTtlSeconds };
}

/**
 * A client_id URL is a client only once its metadata document is stored and fresh: fetched here
 * first, so the client authenticates against what its document says now. A refused document is
 * invalid_client, as at the token endpoint (the pushed request is the client's own back channel).
 */
async function refreshDocumentClient(clientId: string | undefined, ip: string, s: PushedRequestDeps) {
  if (!s.clientDocuments || clientId === undefined || !isUrlClientId(clientId)) return;
  const resolved = await s.clientDocuments.resolve(clientId, ip);
  if (resolved.kind === 'too_many') {
    throw slowDown(
      `Too many metadata documents fetched for this address; retry in ${resolved.retryAfter} s`,
      resolved.retryAfter,
    );
  }
  if (resolved.kind === 'refused') throw new OAuthError('invalid_client', resolved.problem, { status: 401 });
  if (resolved.kind === 'blocked')
    throw new OAuthError('invalid_client', 'This client is blocked', { status: 401 });
}

const pageProblem = (reason: string): string =>
  ({
    redirect_uri_not_registered: 'redirect_uri is not one of the registered redirect URLs',
    redirect_uri_ambiguous: 'Several redirect URLs are registered: send redirect_uri',
    no_redirect_uri_registered: 'These credentials have no redirect URL registered',
    redirect_uri_repeated: 'redirect_uri appears more than once',
  })[reason] ?? 'The client or redirect URI is not valid';

/**
 * /oauth/authorize with `request_uri` (§4): the pushed parameters, taken once, when `client_id`
 * names the client that pushed them. Everything else in the query is ignored, as §4 asks.
 */
export async function takePushedRequest(
  query: RawQuery,
  deps: { store: { pushedRequests: Pick<PushedRequestStorage['pushedRequests'], 'take'> }; clock: Clock },
): Promise<PushedRequest | undefined> {
  const { request_uri: uri, client_id: clientId } = query;
  if (typeof uri !== 'string' || typeof clientId !== 'string' || !uri.startsWith(uriPrefix)) return undefined;
  const pushed = await deps.store.pushedRequests.take(sha256(uri), deps.clock());
  return pushed && pushed.clientId === clientId ? pushed : undefined;
}
