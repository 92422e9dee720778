import type { Config } from '../../config/index.ts';
import { type AccessTokenIssuerDeps, issueAccessToken } from '../access-token.ts';
import { OAuthError } from '../errors.ts';
import { checkResource, scopesForResource } from '../resource.ts';
import { clientCredentialsScopes, formatScope, resolveScope } from '../scope.ts';
import { assertGrantAllowed } from './allowed.ts';
import type { GrantHandler } from './types.ts';

/** No storage: the token is a self-contained JWT (RFC 9068); the registration came with `auth`. */
export type ClientCredentialsGrantDeps = AccessTokenIssuerDeps & {
  readonly config: Pick<Config, 'scopes' | 'resources'>;
};

/**
 * RFC 6749 §4.4. The token speaks for the organization that owns the credentials, with the client as
 * `sub` (RFC 9068 §2.2). §4.4.3: no refresh token — the client can simply ask again.
 */
export const clientCredentialsGrant: GrantHandler<ClientCredentialsGrantDeps> = {
  type: 'client_credentials',
  async handle({ auth, params, dpopJkt }, s) {
    const { client } = auth;
    if (client.isPublic) {
      throw new OAuthError(
        'unauthorized_client',
        'Public clients cannot use client_credentials (RFC 6749 §4.4)',
      );
    }
    assertGrantAllowed(client, 'client_credentials');
    // The token speaks for the owning organization: software that registered itself has none.
    const orgId = client.orgId;
    if (orgId === null) {
      throw new OAuthError('unauthorized_client', 'Self-registered clients cannot use client_credentials');
    }
    // RFC 8707 §2: a resource narrows the scopes to its own and becomes the token's `aud`.
    const resource = checkResource(params.resource, s.config);
    const allowed = scopesForResource(
      clientCredentialsScopes(client.scopes, s.config.scopes),
      resource,
      s.config,
    );
    const scope = resolveScope(params.scope, allowed);
    const token = await issueAccessToken(
      { clientId: client.id, orgId, subject: client.id, scope, resource, dpopJkt },
      s,
    );
    return {
      access_token: token.accessToken,
      token_type: dpopJkt ? 'DPoP' : 'Bearer',
      expires_in: token.expiresIn,
      scope: formatScope(scope),
    };
  },
};
