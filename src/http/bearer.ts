import type { FastifyReply, FastifyRequest } from 'fastify';
import { type AccessTokenClaims, verifyAccessToken } from '../oauth/access-token.ts';
import { OAuthError } from '../oauth/errors.ts';
import { parseScope } from '../oauth/scope.ts';
import type { Services } from '../services.ts';

declare module 'fastify' {
  interface FastifyRequest {
    token?: AccessTokenClaims;
  }
}

const quote = (value: string): string => value.replace(/["\\]/g, '');

/** RFC 6750 §3: the challenge names the realm and, when a token was sent, why it was refused. */
function challenge(s: Services, error?: OAuthError, scope?: string): string {
  let value = `Bearer realm="${quote(s.config.issuer)}"`;
  if (error) value += `, error="${error.code}", error_description="${quote(error.message)}"`;
  if (scope) value += `, scope="${quote(scope)}"`;
  return value;
}

/**
 * A preHandler that requires a valid access token (RFC 6750 §2.1 header only: tokens in query strings
 * leak into logs, RFC 9700 §4.3.2) and, optionally, scopes.
 */
export function requireBearer(s: Services, ...scopes: string[]) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const header = request.headers.authorization;
    const match = header ? /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i.exec(header) : null;
    if (!header) {
      // §3.1: a request without any authentication gets the challenge but no error code.
      throw new OAuthError(
        'invalid_token',
        'This API needs an access token: send "Authorization: Bearer <token>"',
        {
          headers: { 'www-authenticate': challenge(s) },
        },
      );
    }
    let claims: AccessTokenClaims;
    try {
      if (!match) throw new OAuthError('invalid_token', 'The Authorization header must be "Bearer <token>"');
      claims = await verifyAccessToken(match[1]!, s);
    } catch (error) {
      if (error instanceof OAuthError) {
        throw new OAuthError(error.code, error.message, {
          status: 401,
          headers: { 'www-authenticate': challenge(s, error) },
        });
      }
      throw error;
    }
    const granted = parseScope(claims.scope);
    const missing = scopes.filter((scope) => !granted.includes(scope));
    if (missing.length > 0) {
      const error = new OAuthError('insufficient_scope', `This route needs the scope: ${missing.join(' ')}`);
      throw new OAuthError(error.code, error.message, {
        status: 403,
        headers: { 'www-authenticate': challenge(s, error, scopes.join(' ')) },
      });
    }
    request.token = claims;
  };
}
