import { type AccessTokenVerifierDeps, verifyAccessToken } from './access-token.ts';
import { authenticateClient, type ClientAuthenticationDeps, readClientCredentials } from './client-auth.ts';
import { OAuthError } from './errors.ts';
import { type Params, required } from './params.ts';
import type { IntrospectionStorage } from './ports.ts';
import { refreshTokenKind } from './refresh-tokens.ts';
import type { RevocationDeps } from './revocation.ts';
import { introspectScope } from './scope.ts';

export type IntrospectionResponse =
  | { active: false }
  | ({ active: true; token_type: string } & Record<string, unknown>);

export type IntrospectionDeps = ClientAuthenticationDeps &
  AccessTokenVerifierDeps & { readonly store: IntrospectionStorage };

/** Another kind of token the server can introspect and revoke (the refresh tokens of the code flow). */
export interface TokenKind {
  hint: string;
  introspect(
    token: string,
    clientId: string,
    deps: IntrospectionDeps,
  ): Promise<IntrospectionResponse | undefined>;
  /** Revokes the token if it is one of this kind issued to `clientId`; true when it was this kind. */
  revoke(token: string, clientId: string, deps: RevocationDeps): Promise<boolean>;
}

/** Opaque token kinds, tried in order for tokens that are not JWTs. */
export const tokenKinds: readonly TokenKind[] = [refreshTokenKind];

/** Three dot-separated parts (RFC 7515 §7.1), counted without splitting a 600-character token. */
function isJwtShaped(token: string): boolean {
  const first = token.indexOf('.');
  const second = first < 0 ? -1 : token.indexOf('.', first + 1);
  return second > 0 && token.indexOf('.', second + 1) < 0;
}

/**
 * RFC 7662. The caller must authenticate as a confidential client. An access token is described to
 * the client it was issued to and to resource servers holding `latchkey:introspect` (granted from
 * the CLI); anyone else learns only `{"active": false}`, so one integrator cannot read another's
 * tokens (RFC 7662 §2.1 leaves who may ask to the server; §4 warns against token scanning).
 */
export async function introspect(
  params: Params,
  authorization: string | undefined,
  ip: string,
  s: IntrospectionDeps,
): Promise<IntrospectionResponse> {
  const auth = await authenticateClient(
    readClientCredentials(authorization, params, '/oauth/introspect'),
    ip,
    s,
  );
  if (auth.client.isPublic) throw new OAuthError('invalid_client', 'Public clients cannot introspect tokens');
  const token = required(params, 'token');
  if (isJwtShaped(token)) {
    try {
      const claims = await verifyAccessToken(token, s);
      const mayRead = claims.client_id === auth.client.id || auth.client.scopes.includes(introspectScope);
      if (!mayRead) return { active: false };
      return { active: true, token_type: 'Bearer', ...claims };
    } catch (error) {
      if (error instanceof OAuthError && error.code === 'invalid_token') return { active: false };
      throw error;
    }
  }
  // token_type_hint only orders the search (RFC 7662 §2.1); a JWT is always an access token here.
  for (const kind of tokenKinds) {
    const answer = await kind.introspect(token, auth.client.id, s);
    if (answer) return answer;
  }
  return { active: false };
}
