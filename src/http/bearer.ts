import type { FastifyReply, FastifyRequest } from 'fastify';
import { type AccessTokenClaims, verifyAccessToken } from '../oauth/access-token.ts';
import { OAuthError } from '../oauth/errors.ts';
import { parseScope } from '../oauth/scope.ts';
import type { Services } from '../services.ts';
import { bearerTokenFromHeader } from '../verify/bearer-header.ts';

declare module 'fastify' {
  interface FastifyRequest {
    token?: AccessTokenClaims;
  }
}

const quote = (value: string): string => value.replace(/["\\]/g, '');

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
  let challenge = `Bearer realm="${quote(s.config.issuer)}"`;
  if (code) challenge += `, error="${code}", error_description="${quote(description)}"`;
  if (scope) challenge += `, scope="${quote(scope)}"`;
  // RFC 9728 §5.1: where a client finds this resource's metadata.
  challenge += `, resource_metadata="${quote(protectedResourceMetadataUrl(s.config.issuer))}"`;
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
    let token: string | undefined;
    try {
      token = bearerTokenFromHeader(header);
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
