import type { Config } from '../../config/index.ts';
import { type AccessTokenIssuerDeps, issueAccessToken } from '../access-token.ts';
import { OAuthError } from '../errors.ts';
import { type IdTokenIssuerDeps, issueIdToken } from '../id-token.ts';
import type { RefreshToken } from '../model/refresh-tokens.ts';
import { required } from '../params.ts';
import type { RefreshTokenGrantStorage } from '../ports.ts';
import {
  hashRefreshToken,
  newRefreshToken,
  type RefreshFamilyRevocationDeps,
  type RefreshTokenIssuerDeps,
  refreshTokenLive,
  revokeRefreshFamily,
} from '../refresh-tokens.ts';
import { boundResource } from '../resource.ts';
import { formatScope, openIdScope, parseScope } from '../scope.ts';
import { assertGrantAllowed } from './allowed.ts';
import type { GrantHandler } from './types.ts';

const invalidGrant = (description: string): OAuthError => new OAuthError('invalid_grant', description);
const unknownToken = (): OAuthError => invalidGrant('The refresh token is invalid, expired or revoked');

export type RefreshTokenGrantDeps = AccessTokenIssuerDeps &
  RefreshTokenIssuerDeps &
  IdTokenIssuerDeps &
  RefreshFamilyRevocationDeps & {
    readonly store: RefreshTokenGrantStorage;
    readonly config: Pick<Config, 'resources'>;
  };

/** Thrown by a judgement to say the token was rotated before: a reuse (RFC 9700 §4.14.2). */
class RefreshTokenReused extends Error {}

/**
 * RFC 6749 §6. Every use rotates the token (RFC 9700 §4.14.2); presenting a rotated one again
 * revokes the whole family and its grant, since either the client or an attacker holds a stolen copy.
 * The rotation — token read and checked here, grant still active and touched, old token consumed (of
 * racing rotations exactly one wins), next token stored — is one transaction (refreshTokens.rotate).
 */
export const refreshTokenGrant: GrantHandler<RefreshTokenGrantDeps> = {
  type: 'refresh_token',
  async handle({ auth, params, dpopJkt }, s) {
    const { client } = auth;
    assertGrantAllowed(client, 'refresh_token');
    const tokenHash = hashRefreshToken(required(params, 'refresh_token'));
    const now = s.clock();

    /** Runs inside the store's transaction: synchronous, and it must not use the store. */
    const judge = (stored: RefreshToken) => {
      // §6: bound to the client it was issued to; another client learns nothing about it.
      if (stored.clientId !== client.id) throw unknownToken();
      if (stored.consumedAt !== null && stored.revokedAt === null) throw new RefreshTokenReused();
      if (!refreshTokenLive(stored, now)) throw unknownToken();
      // §6: the scope may be narrowed, never widened.
      const original = parseScope(stored.scope);
      let scope = original;
      if (params.scope !== undefined) {
        scope = parseScope(params.scope);
        const widened = scope.filter((x) => !original.includes(x));
        if (widened.length > 0) {
          throw new OAuthError(
            'invalid_scope',
            `A refresh cannot add scopes the person did not grant: ${widened.join(', ')}`,
          );
        }
      }

      const resource = boundResource(params.resource, stored.resource, s.config);
      // RFC 9449 §5: a bound refresh token works only with a proof from the same key.
      if (stored.dpopJkt && stored.dpopJkt !== dpopJkt) {
        throw invalidGrant('This refresh token is bound to a DPoP key: send a DPoP proof signed with it');
      }

      // The token carries its grant's ids; the rotation checks the grant is still active as it touches it.
      const grant = {
        id: stored.grantId,
        clientId: stored.clientId,
        userId: stored.userId,
        orgId: stored.orgId,
      };
      // §6: the new refresh token keeps the scope of the old one, even when this access token is narrower.
      const { token, record } = newRefreshToken(
        {
          grant,
          scope: stored.scope,
          resource,
          dpopJkt: stored.dpopJkt ?? undefined,
          family: { id: stored.familyId, expiresAt: stored.familyExpiresAt },
        },
        s,
      );
      return { grant, scope, resource, next: record, nextToken: token };
    };

    const rotated = await s.store.refreshTokens.rotate(tokenHash, now, judge);
    if (rotated.outcome === 'unknown') throw unknownToken();
    const stored = rotated.token;
    if (rotated.outcome === 'used') return reused();
    if (rotated.outcome === 'revoked') throw invalidGrant('The authorization was revoked');
    if (rotated.outcome === 'refused') {
      if (rotated.reason instanceof RefreshTokenReused) return reused();
      throw rotated.reason;
    }
    const { grant, scope, resource, nextToken } = rotated.plan;

    const token = await issueAccessToken(
      {
        clientId: client.id,
        orgId: grant.orgId,
        subject: grant.userId,
        scope,
        grantId: grant.id,
        resource,
        dpopJkt,
      },
      s,
    );
    // OpenID Connect Core §12.2: a new ID token for the same person, with the original `auth_time`.
    const idToken = await issueIdToken(
      {
        clientId: client.id,
        userId: grant.userId,
        orgId: grant.orgId,
        scope,
        authTime: scope.includes(openIdScope) ? (await s.store.grants.find(grant.id))?.authTime : undefined,
        nonce: undefined,
        accessToken: token.accessToken,
      },
      s,
    );
    return {
      access_token: token.accessToken,
      token_type: dpopJkt ? 'DPoP' : 'Bearer',
      expires_in: token.expiresIn,
      scope: formatScope(scope),
      refresh_token: nextToken,
      ...(idToken !== undefined && { id_token: idToken }),
    };

    async function reused(): Promise<never> {
      await revokeRefreshFamily(stored, 'refresh token reused', s);
      throw invalidGrant(
        'The refresh token was already used; every token of this authorization is now revoked',
      );
    }
  },
};
