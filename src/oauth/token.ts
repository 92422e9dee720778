import type { Config } from '../config/index.ts';
import type { RateDecision, RateLimiter } from '../ratelimit/index.ts';
import { authenticateClient, type ClientAuthenticationDeps, readClientCredentials } from './client-auth.ts';
import { checkDpop, type DpopDeps } from './dpop.ts';
import { OAuthError, slowDown } from './errors.ts';
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
    readonly limiter: Pick<RateLimiter, 'hit' | 'peek' | 'undo'>;
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

/** Failed token requests of public clients allowed per address and window (see handleTokenRequest). */
export const failedGrantsPerAddress = 30;
const failedGrantsWindowMs = 60_000;

/**
 * The token endpoint (RFC 6749 §3.2) after HTTP parsing: find the grant handler, authenticate the
 * client once, apply the per-client rate limit, then let the handler validate and issue.
 *
 * The per-client limit counts a confidential client's every request before any work: only its owner
 * can send them. A public client proves nothing (its id is public, RFC 6749 §2.1), so counting every
 * request for its id would let anyone use up its limit with junk and lock its real users out: for it
 * only requests that carry a valid grant count (checked before, counted once issued), and failures
 * are counted per address instead, before the work, and taken back when the request succeeds.
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
  const clientId = auth.client.id;
  const { limit, windowMs } = s.config.tokenRateLimit;
  const perClient = `token:${clientId}`;

  const issue = async (): Promise<TokenResponse> => {
    const dpopJkt = await checkDpop(
      request.dpop,
      { method: 'POST', url: `${s.config.issuer}/oauth/token` },
      s,
    );
    if (auth.client.requireDpop && dpopJkt === undefined) {
      throw new OAuthError('invalid_dpop_proof', 'These credentials must send a DPoP proof (RFC 9449)');
    }
    return handler.handle({ auth, params, dpopJkt }, s);
  };
  const tooMany = (decision: RateDecision): OAuthError => {
    s.events.onTokenRequest({ clientId, outcome: 'rate_limited' });
    return slowDown(
      `Too many token requests for this client (limit ${limit} per ${windowMs / 1000} s). Reuse the access token until it expires instead of requesting a new one; retry in ${decision.retryAfter} s.`,
      decision.retryAfter,
    );
  };

  if (!auth.client.isPublic) {
    const decision = await s.limiter.hit(perClient, limit, windowMs);
    if (!decision.allowed) throw tooMany(decision);
    const response = await issue();
    s.events.onTokenRequest({ clientId, outcome: 'issued' });
    return response;
  }

  const failures = `grantfail:ip:${request.ip}`;
  const [[byClient], byAddress] = (await Promise.all([
    s.limiter.peek([{ key: perClient, limit }], windowMs),
    s.limiter.hit(failures, failedGrantsPerAddress, failedGrantsWindowMs),
  ])) as [[RateDecision], RateDecision];
  if (!byAddress.allowed || !byClient.allowed) {
    await s.limiter.undo(failures, failedGrantsWindowMs);
    if (!byClient.allowed) throw tooMany(byClient);
    throw slowDown(
      `Too many failed token requests from this address; retry in ${byAddress.retryAfter} s`,
      byAddress.retryAfter,
    );
  }
  let response: TokenResponse;
  try {
    response = await issue();
  } catch (error) {
    // A refused grant stays counted; a nonce request (RFC 9449 §8) or our own failure does not.
    const refused = error instanceof OAuthError && error.status < 500 && error.code !== 'use_dpop_nonce';
    if (!refused) await s.limiter.undo(failures, failedGrantsWindowMs);
    throw error;
  }
  await Promise.all([
    s.limiter.undo(failures, failedGrantsWindowMs),
    s.limiter.hit(perClient, limit, windowMs),
  ]);
  s.events.onTokenRequest({ clientId, outcome: 'issued' });
  return response;
}
