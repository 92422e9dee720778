import type { Config } from '../config/index.ts';
import type { RateLimiter } from '../ratelimit/index.ts';
import { authenticateClient, type ClientAuthenticationDeps, readClientCredentials } from './client-auth.ts';
import { checkDpop, type DpopDeps } from './dpop.ts';
import { OAuthError } from './errors.ts';
import type { OAuthEvents } from './events.ts';
import { type AuthorizationCodeGrantDeps, authorizationCodeGrant } from './grants/authorization-code.ts';
import { type ClientCredentialsGrantDeps, clientCredentialsGrant } from './grants/client-credentials.ts';
import { type RefreshTokenGrantDeps, refreshTokenGrant } from './grants/refresh-token.ts';
import type { GrantHandler, TokenResponse } from './grants/types.ts';
import { type Params, required } from './params.ts';

/** What the token endpoint uses: client authentication, every grant handler's needs, the rate limit. */
export type TokenEndpointDeps = ClientAuthenticationDeps &
  AuthorizationCodeGrantDeps &
  RefreshTokenGrantDeps &
  ClientCredentialsGrantDeps &
  DpopDeps & {
    readonly config: Pick<Config, 'tokenRateLimit'>;
    readonly limiter: Pick<RateLimiter, 'hit'>;
    readonly events: Pick<OAuthEvents, 'onTokenRequest'>;
  };

/** Grant handlers by `grant_type`. Each later grant registers here. */
export const grantHandlers = new Map<string, GrantHandler<TokenEndpointDeps>>([
  [authorizationCodeGrant.type, authorizationCodeGrant],
  [refreshTokenGrant.type, refreshTokenGrant],
  [clientCredentialsGrant.type, clientCredentialsGrant],
]);

/**
 * The grant type asked for. Beyond RFC 6749 (DESIGN.md): a body with client_id and client_secret and
 * no grant_type is a client_credentials request, exactly as integrators send it from the API docs.
 */
export function requestedGrantType(params: Params): string {
  return params.grant_type ?? impliedGrantType(params) ?? required(params, 'grant_type');
}

const impliedGrantType = (params: Params): string | undefined =>
  params.client_id !== undefined && params.client_secret !== undefined
    ? clientCredentialsGrant.type
    : undefined;

/** A metrics label for the grant type: the caller's value only when it names a grant we serve. */
export function grantTypeLabel(params: Params): string {
  const type = params.grant_type ?? impliedGrantType(params);
  return type !== undefined && grantHandlers.has(type) ? type : 'other';
}

export interface TokenRequest {
  params: Params;
  authorization: string | undefined;
  ip: string;
  /** The DPoP header(s) (RFC 9449 §5). */
  dpop?: string | string[];
}

/**
 * The token endpoint (RFC 6749 §3.2) after HTTP parsing: find the grant handler, authenticate the
 * client once, apply the per-client rate limit, then let the handler validate and issue.
 */
export async function handleTokenRequest(
  request: TokenRequest,
  s: TokenEndpointDeps,
): Promise<TokenResponse> {
  const { params } = request;
  const grantType = requestedGrantType(params);
  const handler = grantHandlers.get(grantType);
  if (!handler) {
    throw new OAuthError(
      'unsupported_grant_type',
      `Unsupported grant_type "${grantType}"; supported: ${[...grantHandlers.keys()].join(', ')}`,
    );
  }
  const credentials = readClientCredentials(request.authorization, params);
  const auth = await authenticateClient(credentials, request.ip, s);

  const { limit, windowMs } = s.config.tokenRateLimit;
  const decision = await s.limiter.hit(`token:${auth.client.id}`, limit, windowMs);
  if (!decision.allowed) {
    s.events.onTokenRequest({ clientId: auth.client.id, outcome: 'rate_limited' });
    throw new OAuthError(
      'slow_down',
      `Too many token requests for this client (limit ${limit} per ${windowMs / 1000} s). Reuse the access token until it expires instead of requesting a new one; retry in ${decision.retryAfter} s.`,
      { status: 429, headers: { 'Retry-After': String(decision.retryAfter) } },
    );
  }
  const dpopJkt = await checkDpop(request.dpop, { method: 'POST', url: `${s.config.issuer}/oauth/token` }, s);
  if (auth.client.requireDpop && dpopJkt === undefined) {
    throw new OAuthError('invalid_dpop_proof', 'These credentials must send a DPoP proof (RFC 9449)');
  }
  const response = await handler.handle({ auth, params, dpopJkt }, s);
  s.events.onTokenRequest({ clientId: auth.client.id, outcome: 'issued' });
  return response;
}
