import { type AccessTokenClaims, type AccessTokenVerifierDeps, verifyAccessToken } from './access-token.ts';
import { authenticateClient, type ClientAuthenticationDeps, readClientCredentials } from './client-auth.ts';
import { OAuthError } from './errors.ts';
import { tokenKinds } from './introspection.ts';
import { type Params, required } from './params.ts';
import type { RevocationStorage } from './ports.ts';
import type { RefreshFamilyRevocationDeps } from './refresh-tokens.ts';

export type RevocationDeps = ClientAuthenticationDeps &
  AccessTokenVerifierDeps &
  RefreshFamilyRevocationDeps & { readonly store: RevocationStorage };

/**
 * RFC 7009. The client authenticates and may revoke only tokens issued to it. §2.2: invalid or
 * unknown tokens (and tokens of other clients, so they cannot be probed) still get 200.
 */
export async function revoke(
  params: Params,
  authorization: string | undefined,
  ip: string,
  s: RevocationDeps,
): Promise<void> {
  const auth = await authenticateClient(readClientCredentials(authorization, params, '/oauth/revoke'), ip, s);
  const token = required(params, 'token');
  const clientId = auth.client.id;

  if (token.split('.').length === 3) {
    let claims: AccessTokenClaims;
    try {
      claims = await verifyAccessToken(token, s);
    } catch (error) {
      if (error instanceof OAuthError) return;
      throw error;
    }
    if (claims.client_id === clientId) {
      await s.store.revocations.revoke(claims.jti, claims.exp * 1000);
      s.log.info({ client_id: clientId, jti: claims.jti }, 'access token revoked');
    }
    return;
  }
  for (const kind of tokenKinds) if (await kind.revoke(token, clientId, s)) return;
}
