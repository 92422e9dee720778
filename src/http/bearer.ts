import { bearerChallenge, createBearerCheck, dpopChallenge, TokenVerificationError } from '@latchkey/verify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type AccessTokenClaims, verifyOwnAccessToken } from '../oauth/access-token.ts';
import { OAuthError } from '../oauth/errors.ts';
import type { Services } from '../services.ts';

declare module 'fastify' {
  interface FastifyRequest {
    token?: AccessTokenClaims;
  }
}

/** RFC 9728 §3: the demo API's metadata, served next to it. */
export const protectedResourceMetadataUrl = (issuer: string): string =>
  `${issuer}/.well-known/oauth-protected-resource`;

/**
 * A preHandler that requires a valid access token and, optionally, scopes: @latchkey/verify's check (the
 * header only, RFC 6750 §2.1, since tokens in query strings leak into logs, RFC 9700 §4.3.2; DPoP
 * binding and proof, RFC 9449 §7; scopes), which APIs use too. The server adds only what the issuer
 * knows: whether the token was revoked since (its `jti`, its grant, its client), that it is for this
 * resource (RFC 8707), that proofs are remembered by every instance (RFC 9449 §11.1), and where this
 * resource's metadata is (RFC 9728 §5.1).
 */
export function requireBearer(s: Services, ...scopes: string[]) {
  const check = createBearerCheck(
    {
      async verify(token) {
        const claims = await verifyOwnAccessToken(token, s);
        // RFC 8707: a token for another resource is not for this API (RFC 9068 §4 audience check).
        if (claims.raw.aud !== s.config.audience) {
          throw new TokenVerificationError(
            'invalid_token',
            `The access token is for another resource (${String(claims.raw.aud)})`,
          );
        }
        return claims;
      },
    },
    {
      scopes,
      // request.url already carries the issuer's path (/auth/oauth/userinfo): the proof's htu is the
      // origin plus that path (RFC 9449 §4.3), not the issuer plus it.
      publicUrl: new URL(s.config.issuer).origin,
      clock: s.clock,
      dpopReplayStore: {
        remember: (key, expiresAt) => s.store.seenValues.remember(`dpop:${key}`, expiresAt, s.clock()),
      },
    },
  );
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const header = request.headers.authorization;
    let claims: Awaited<ReturnType<typeof check>>;
    try {
      claims = await check({ headers: request.headers, method: request.method, url: request.url });
    } catch (error) {
      throw refusal(s, error);
    }
    if (claims === undefined) {
      throw header
        ? refuse(s, 'invalid_token', 'The Authorization header must be "Bearer <token>"')
        : refuse(s, undefined, 'This API needs an access token: send "Authorization: Bearer <token>"');
    }
    request.token = claims.raw as unknown as AccessTokenClaims;
  };
}

/** What the error handler answers for a refused token: @latchkey/verify's codes as OAuthErrors. */
function refusal(s: Services, error: unknown): unknown {
  if (error instanceof OAuthError && error.code === 'invalid_token') {
    return refuse(s, 'invalid_token', error.message);
  }
  if (!(error instanceof TokenVerificationError)) return error;
  switch (error.code) {
    case 'invalid_dpop_proof':
      return new OAuthError('invalid_dpop_proof', error.description, {
        status: 401,
        headers: { 'www-authenticate': dpopChallenge(error.description) },
      });
    case 'insufficient_scope':
      return refuse(s, 'insufficient_scope', `This route needs the scope: ${error.scope}`, error.scope);
    case 'temporarily_unavailable':
      return new OAuthError('temporarily_unavailable', error.description);
    case 'invalid_request':
      // A malformed header, or more than one: to this API as good as a bad token.
      return refuse(s, 'invalid_token', 'The Authorization header must be "Bearer <token>"');
    default:
      return refuse(s, 'invalid_token', error.description);
  }
}

/**
 * RFC 6750 §3: the challenge names the realm and, when a token was sent, why it was refused
 * (401 invalid_token, 403 insufficient_scope with the scope needed). Without any token, §3.1 wants
 * the challenge but no error code.
 */
function refuse(
  s: Services,
  code: 'invalid_token' | 'insufficient_scope' | undefined,
  description: string,
  scope?: string,
): OAuthError {
  const challenge = bearerChallenge(
    s.config.issuer,
    code && new TokenVerificationError(code, description, { scope }),
    protectedResourceMetadataUrl(s.config.issuer),
  );
  return new OAuthError(code ?? 'invalid_token', description, {
    status: code === 'insufficient_scope' ? 403 : 401,
    headers: { 'www-authenticate': challenge },
  });
}
