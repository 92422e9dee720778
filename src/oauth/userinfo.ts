/**
 * The UserInfo endpoint (OpenID Connect Core 1.0 §5.3) after the bearer check: the access token was
 * verified and holds `openid` (the HTTP layer answers 401 and 403 with the one challenge builder);
 * this answers `sub` (always, §5.3.2) and the claims of the granted scopes (§5.4).
 */
import type { AccessTokenClaims } from './access-token.ts';
import { OAuthError } from './errors.ts';
import { personClaims } from './id-token.ts';
import type { IdTokenStorage } from './ports.ts';
import { parseScope } from './scope.ts';

export async function userInfo(
  token: AccessTokenClaims,
  s: { readonly store: IdTokenStorage },
): Promise<Record<string, string | boolean>> {
  // A person stands behind user grants only (`gid`); client_credentials never carries `openid`.
  const user = token.gid === undefined ? undefined : await s.store.accounts.findUser(token.sub);
  if (!user) throw new OAuthError('invalid_token', 'This access token does not speak for a person');
  return { sub: user.id, org_id: token.org_id, ...personClaims(user, parseScope(token.scope)) };
}
