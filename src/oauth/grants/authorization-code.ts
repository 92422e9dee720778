import type { Config } from '../../config/index.ts';
import { stampedTokenKey } from '../../crypto.ts';
import { type AccessTokenIssuerDeps, issueAccessToken } from '../access-token.ts';
import { OAuthError } from '../errors.ts';
import { type IdTokenIssuerDeps, issueIdToken } from '../id-token.ts';
import type { AuthorizationCode } from '../model/codes.ts';
import { required } from '../params.ts';
import { checkCodeVerifier } from '../pkce.ts';
import type { AuthorizationCodeGrantStorage, Log } from '../ports.ts';
import { newRefreshToken, type RefreshTokenIssuerDeps } from '../refresh-tokens.ts';
import { boundResource } from '../resource.ts';
import { parseScope } from '../scope.ts';
import { assertGrantAllowed } from './allowed.ts';
import type { GrantHandler } from './types.ts';

const invalidGrant = (description: string): OAuthError => new OAuthError('invalid_grant', description);
const unknownCode = (): OAuthError => invalidGrant('The authorization code is invalid, expired or used');

export type AuthorizationCodeGrantDeps = AccessTokenIssuerDeps &
  RefreshTokenIssuerDeps &
  IdTokenIssuerDeps & {
    readonly store: AuthorizationCodeGrantStorage;
    readonly log: Pick<Log, 'info' | 'warn'>;
    readonly config: Pick<Config, 'resources'>;
  };

/** Thrown by a judgement to say the code was used before: a replay (§4.1.2), not a plain refusal. */
class CodeReplayed extends Error {}

/**
 * RFC 6749 §4.1.3 with RFC 7636 §4.6. The client is already authenticated. The code must be bound to
 * this client, unexpired, unused, with the same redirect URI and the PKCE verifier. The store reads
 * it, runs these checks and consumes it with one conditional UPDATE (so of two racing redemptions
 * exactly one wins), in the same transaction that touches its grant and stores the refresh token
 * (codes.redeem): all of it commits, or none.
 */
export const authorizationCodeGrant: GrantHandler<AuthorizationCodeGrantDeps> = {
  type: 'authorization_code',
  async handle({ auth, params, dpopJkt }, s) {
    const { client } = auth;
    assertGrantAllowed(client, 'authorization_code');
    const codeHash = stampedTokenKey(required(params, 'code'));
    const now = s.clock();

    /** Runs inside the store's transaction: synchronous, and it must not use the store. */
    const judge = (code: AuthorizationCode) => {
      // §5.2: one error for unknown, expired, used, or issued to another client, so codes cannot be probed.
      if (code.clientId !== client.id) throw unknownCode();
      if (code.consumedAt !== null) throw new CodeReplayed();
      if (code.expiresAt <= now) throw invalidGrant('The authorization code expired; codes live 60 seconds');

      // §4.1.3: redirect_uri is required and must be identical when the authorization request had it.
      const redirectUri = params.redirect_uri;
      if (code.redirectUriSent && redirectUri === undefined) {
        throw invalidGrant('Send the same redirect_uri as in the authorization request');
      }
      if (redirectUri !== undefined && redirectUri !== code.redirectUri) {
        throw invalidGrant('redirect_uri does not match the one of the authorization request');
      }
      checkCodeVerifier(code.codeChallenge, params.code_verifier);
      const resource = boundResource(params.resource, code.resource, s.config);
      // The code carries its grant's ids (../authorize-consent.ts made both), so the grant is not read
      // again: the redemption checks it is still active as it touches it.
      const grant = { id: code.grantId, clientId: code.clientId, userId: code.userId, orgId: code.orgId };
      const refresh = client.grantTypes.includes('refresh_token')
        ? // RFC 9449 §5: a public client's refresh tokens are bound to its DPoP key.
          newRefreshToken(
            { grant, scope: code.scope, resource, dpopJkt: client.isPublic ? dpopJkt : undefined },
            s,
          )
        : undefined;
      return { grant, resource, refreshToken: refresh?.record, token: refresh?.token };
    };

    const redeemed = await s.store.codes.redeem(codeHash, now, judge);
    if (redeemed.outcome === 'unknown') throw unknownCode();
    const { code } = redeemed;
    if (redeemed.outcome === 'used') return replayed();
    if (redeemed.outcome === 'revoked') throw invalidGrant('The authorization was revoked');
    if (redeemed.outcome === 'refused') {
      if (redeemed.reason instanceof CodeReplayed) return replayed();
      throw redeemed.reason;
    }
    const { grant, resource, token: refreshToken } = redeemed.plan;

    const scope = parseScope(code.scope);
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
    const idToken = await issueIdToken(
      {
        clientId: client.id,
        userId: grant.userId,
        orgId: grant.orgId,
        scope,
        authTime: code.authTime ?? undefined,
        nonce: code.nonce ?? undefined,
        accessToken: token.accessToken,
      },
      s,
    );
    s.log.info({ client_id: client.id, grant_id: grant.id }, 'authorization code redeemed');
    return {
      access_token: token.accessToken,
      token_type: dpopJkt ? 'DPoP' : 'Bearer',
      expires_in: token.expiresIn,
      scope: code.scope,
      ...(refreshToken !== undefined && { refresh_token: refreshToken }),
      ...(idToken !== undefined && { id_token: idToken }),
    };

    /** §4.1.2: a code used twice: refuse, and revoke what the first use issued (§10.5). */
    async function replayed(): Promise<never> {
      await s.store.grants.revoke(code.grantId, s.clock());
      s.log.warn(
        { client_id: client.id, grant_id: code.grantId },
        'authorization code reused; grant revoked',
      );
      await s.store.audit.record({
        orgId: code.orgId,
        actor: 'system',
        clientId: client.id,
        action: 'grant.revoked',
        detail: { grantId: code.grantId, userId: code.userId, reason: 'authorization code reused' },
      });
      throw invalidGrant('The authorization code was already used; the tokens it issued are now revoked');
    }
  },
};
