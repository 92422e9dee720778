/**
 * The ID token (OpenID Connect Core 1.0 §2, §3.1.3.3): who the person is, for the client that asked
 * for `openid`. Signed like the access tokens (ES256, the published keys) but typed `JWT`, never
 * `at+jwt`, so no resource server takes it for an access token (RFC 9068 §4), and its `aud` is the
 * client, not an API.
 */
import { createHash } from 'node:crypto';
import { type Clock, seconds } from '../clock.ts';
import type { Config } from '../config/index.ts';
import type { KeyRing } from '../keys/keyring.ts';
import { OAuthError } from './errors.ts';
import type { User } from './model/accounts.ts';
import type { IdTokenStorage } from './ports.ts';
import { openIdScope } from './scope.ts';

/** The claims Latchkey issues (Discovery 1.0 §3 `claims_supported`). */
export const supportedClaims = [
  'iss',
  'sub',
  'aud',
  'exp',
  'iat',
  'auth_time',
  'nonce',
  'at_hash',
  'org_id',
  'name',
  'email',
  'email_verified',
];

/**
 * §5.4: the claims about the person that the granted scopes ask for, shared by the ID token and
 * userinfo. `email_verified` is false: Latchkey never checked that the person receives mail at that
 * address (the operator, the platform or its provider set it), so a client must not link accounts
 * by it on Latchkey's word (§5.7).
 */
export function personClaims(
  user: Pick<User, 'name' | 'email'>,
  scope: readonly string[],
): Record<string, string | boolean> {
  return {
    ...(scope.includes('profile') && user.name !== null && { name: user.name }),
    ...(scope.includes('email') && { email: user.email, email_verified: false }),
  };
}

/** §3.1.3.6: the left half of the SHA-256 of the access token's ASCII octets, base64url. */
export const accessTokenHash = (accessToken: string): string =>
  createHash('sha256').update(accessToken, 'ascii').digest().subarray(0, 16).toString('base64url');

export interface IdTokenIssuerDeps {
  readonly config: Pick<Config, 'issuer' | 'accessTokenTtl'>;
  readonly clock: Clock;
  readonly keys: Pick<KeyRing, 'signJwt'>;
  readonly store: IdTokenStorage;
}

export interface IdTokenInput {
  clientId: string;
  userId: string;
  orgId: string;
  scope: readonly string[];
  /** When the person signed in, epoch ms; unknown for grants made before OpenID Connect. */
  authTime: number | undefined;
  /** The authorization request's `nonce`; none on a refresh (§12.2). */
  nonce: string | undefined;
  accessToken: string;
}

/** The ID token for a token response, or undefined when the scope has no `openid` (§3.1.3.3). */
export async function issueIdToken(input: IdTokenInput, s: IdTokenIssuerDeps): Promise<string | undefined> {
  if (!input.scope.includes(openIdScope)) return undefined;
  const user = await s.store.accounts.findUser(input.userId);
  // Deleting a person deletes their grants, so this is a race with that deletion.
  if (!user) throw new OAuthError('invalid_grant', 'The person of this authorization no longer exists');
  const iat = seconds(s.clock);
  const claims = {
    iss: s.config.issuer,
    // The user id: one per person, the same for every client ("public", §8).
    sub: user.id,
    aud: input.clientId,
    exp: iat + s.config.accessTokenTtl,
    iat,
    ...(input.authTime !== undefined && { auth_time: Math.floor(input.authTime / 1000) }),
    ...(input.nonce !== undefined && { nonce: input.nonce }),
    at_hash: accessTokenHash(input.accessToken),
    org_id: input.orgId,
    ...personClaims(user, input.scope),
  };
  return s.keys.signJwt(claims, 'JWT');
}
