import { randomUUID, verify } from 'node:crypto';
import { seconds } from '../clock.ts';
import type { Services } from '../services.ts';
import { OAuthError } from './errors.ts';
import { formatScope } from './scope.ts';

/** RFC 9068 §2.2 claims, plus `org_id` (the organization the token acts for). */
export interface AccessTokenClaims {
  iss: string;
  sub: string;
  aud: string;
  client_id: string;
  scope: string;
  org_id: string;
  iat: number;
  exp: number;
  jti: string;
  /** The grant a user token belongs to; revoking the grant makes it inactive at introspection. */
  gid?: string;
}

export interface IssueAccessToken {
  clientId: string;
  orgId: string;
  /** The user for user grants, the client for client_credentials (RFC 9068 §2.2). */
  subject: string;
  scope: readonly string[];
  grantId?: string;
}

export interface IssuedAccessToken {
  accessToken: string;
  expiresIn: number;
  claims: AccessTokenClaims;
}

export function issueAccessToken(input: IssueAccessToken, s: Services): IssuedAccessToken {
  const iat = seconds(s.clock);
  const expiresIn = s.config.accessTokenTtl;
  const claims: AccessTokenClaims = {
    iss: s.config.issuer,
    sub: input.subject,
    aud: s.config.audience,
    client_id: input.clientId,
    scope: formatScope(input.scope),
    org_id: input.orgId,
    iat,
    exp: iat + expiresIn,
    jti: randomUUID(),
    ...(input.grantId && { gid: input.grantId }),
  };
  return { accessToken: s.keys.signJwt(claims, 'at+jwt'), expiresIn, claims };
}

const invalid = (description: string): OAuthError => new OAuthError('invalid_token', description);
const b64json = (part: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

/**
 * Verifies one of our own access tokens: signature with a published key, `typ` (RFC 9068 §4), issuer,
 * expiry, and that it was not revoked. Throws `invalid_token` (RFC 6750 §3.1) otherwise.
 */
export async function verifyAccessToken(token: string, s: Services): Promise<AccessTokenClaims> {
  const parts = token.split('.');
  if (parts.length !== 3) throw invalid('The access token is not a JWT');
  let header: Record<string, unknown>;
  let claims: AccessTokenClaims;
  try {
    header = b64json(parts[0]!);
    claims = b64json(parts[1]!) as unknown as AccessTokenClaims;
  } catch {
    throw invalid('The access token is malformed');
  }
  if (header.alg !== 'ES256' || header.typ !== 'at+jwt')
    throw invalid('The token is not a Latchkey access token');
  const key = await s.keys.findPublicKey(String(header.kid));
  if (!key) throw invalid('The token was signed by an unknown key');
  const signatureOk = verify(
    'sha256',
    Buffer.from(`${parts[0]}.${parts[1]}`),
    { key: key.key, dsaEncoding: 'ieee-p1363' },
    Buffer.from(parts[2]!, 'base64url'),
  );
  if (!signatureOk) throw invalid('The access token signature is invalid');
  if (claims.iss !== s.config.issuer) throw invalid('The access token was issued by another server');
  if (typeof claims.exp !== 'number' || claims.exp <= seconds(s.clock))
    throw invalid('The access token expired');
  const [revoked, client, grantActive] = await Promise.all([
    s.store.revocations.isRevoked(claims.jti),
    s.store.clients.find(claims.client_id),
    claims.gid ? s.store.grants.isActive(claims.gid) : true,
  ]);
  if (revoked) throw invalid('The access token was revoked');
  // Deleting credentials revokes every token they hold.
  if (!client) throw invalid('The credentials this token was issued to were deleted');
  // A user token dies with its grant (connected app revoked, code replayed, refresh token reused).
  if (!grantActive) throw invalid('The authorization behind this token was revoked');
  return claims;
}
