import type { FastifyReply, FastifyRequest } from 'fastify';
import { type AccessTokenClaims, verifyAccessToken } from '../oauth/access-token.ts';
import { checkDpop } from '../oauth/dpop.ts';
import { OAuthError } from '../oauth/errors.ts';
import { parseScope } from '../oauth/scope.ts';
import type { Services } from '../services.ts';
import { bearerTokenFromHeader } from '../verify/bearer-header.ts';
import { authChallenge, dpopChallenge } from '../verify/http-response.ts';
import { routePath } from './urls.ts';

declare module 'fastify' {
  interface FastifyRequest {
    token?: AccessTokenClaims;
  }
}

/** RFC 9728 §3: the demo API's metadata, served next to it. */
export const protectedResourceMetadataUrl = (issuer: string): string =>
  `${issuer}/.well-known/oauth-protected-resource`;

type BearerError = 'invalid_token' | 'insufficient_scope';

/**
 * RFC 6750 §3: the challenge names the realm and, when a token was sent, why it was refused
 * (401 invalid_token, 403 insufficient_scope with the scope needed). Without any token, §3.1 wants
 * the challenge but no error code.
 */
function refuse(s: Services, code: BearerError | undefined, description: string, scope?: string): OAuthError {
  const challenge = authChallenge('Bearer', {
    realm: s.config.issuer,
    error: code,
    error_description: code && description,
    scope,
    // RFC 9728 §5.1: where a client finds this resource's metadata.
    resource_metadata: protectedResourceMetadataUrl(s.config.issuer),
  });
  return new OAuthError(code ?? 'invalid_token', description, {
    status: code === 'insufficient_scope' ? 403 : 401,
    headers: { 'www-authenticate': challenge },
  });
}

/**
 * A preHandler that requires a valid access token (RFC 6750 §2.1 header only: tokens in query strings
 * leak into logs, RFC 9700 §4.3.2) and, optionally, scopes.
 */
export function requireBearer(s: Services, ...scopes: string[]) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const header = request.headers.authorization;
    if (!header) {
      throw refuse(s, undefined, 'This API needs an access token: send "Authorization: Bearer <token>"');
    }
    // RFC 9449 §7.1: a DPoP-bound token comes as "DPoP <token>" with a proof.
    const dpopMatch = /^DPoP +([A-Za-z0-9\-._~+/]+=*)$/i.exec(header.trim());
    let token: string | undefined = dpopMatch?.[1];
    try {
      token ??= bearerTokenFromHeader(header);
    } catch {
      // A malformed Bearer header: handled below like another scheme.
    }
    if (!token) throw refuse(s, 'invalid_token', 'The Authorization header must be "Bearer <token>"');
    let claims: AccessTokenClaims;
    try {
      claims = await verifyAccessToken(token, s);
    } catch (error) {
      if (error instanceof OAuthError && error.code === 'invalid_token') {
        throw refuse(s, 'invalid_token', error.message);
      }
      throw error;
    }
    // RFC 8707: a token for another resource is not for this API (RFC 9068 §4 audience check).
    if (claims.aud !== s.config.audience) {
      throw refuse(s, 'invalid_token', `The access token is for another resource (${claims.aud})`);
    }
    await checkProof(request, s, claims, token, dpopMatch !== null);
    const granted = parseScope(claims.scope);
    const missing = scopes.filter((scope) => !granted.includes(scope));
    if (missing.length > 0) {
      throw refuse(
        s,
        'insufficient_scope',
        `This route needs the scope: ${missing.join(' ')}`,
        scopes.join(' '),
      );
    }
    request.token = claims;
  };
}

/** RFC 9449 §7: a token bound to a key is good only with a proof from that key for this request. */
async function checkProof(
  request: FastifyRequest,
  s: Services,
  claims: AccessTokenClaims,
  token: string,
  dpopScheme: boolean,
): Promise<void> {
  const jkt = claims.cnf?.jkt;
  if (jkt === undefined && !dpopScheme) return;
  const refuseProof = (description: string): OAuthError =>
    new OAuthError('invalid_dpop_proof', description, {
      status: 401,
      headers: { 'www-authenticate': dpopChallenge(description) },
    });
  if (jkt === undefined) throw refuseProof('This access token is not DPoP-bound: send it as "Bearer"');
  if (!dpopScheme)
    throw refuseProof('This access token is DPoP-bound: send "Authorization: DPoP <token>" and a DPoP proof');
  // The route's URL as the client names it (RFC 9449 §4.3 htu): request.url already carries the base path.
  const url = `${s.config.issuer}${routePath(s.config.basePath, request.url.split('?')[0]!)}`;
  let proven: string | undefined;
  try {
    proven = await checkDpop(
      request.headers.dpop,
      { method: request.method, url, accessToken: token },
      s,
      false,
    );
  } catch (error) {
    if (error instanceof OAuthError) throw refuseProof(error.message);
    throw error;
  }
  if (proven === undefined) throw refuseProof('Send a DPoP proof with this DPoP-bound access token');
  if (proven !== jkt)
    throw refuseProof('The DPoP proof is signed with another key than the token is bound to');
}
