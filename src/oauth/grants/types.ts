import type { AuthenticatedClient } from '../client-auth.ts';
import type { Params } from '../params.ts';

/** RFC 6749 §5.1 successful token response. */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer' | 'DPoP';
  expires_in: number;
  scope: string;
  refresh_token?: string;
  /** OpenID Connect Core §3.1.3.3: when the scope has `openid`. */
  id_token?: string;
}

export interface GrantRequest {
  auth: AuthenticatedClient;
  params: Params;
  /** RFC 9449: the thumbprint of the key the request's DPoP proof was signed with. */
  dpopJkt?: string;
}

/**
 * One handler per grant type (fosite's model): it checks its own parameters and issues tokens. `Deps`
 * is what the handler uses — its storage port (../ports.ts), config values, clock, keys — and nothing
 * more; the token endpoint passes one object that serves them all.
 */
export interface GrantHandler<Deps> {
  readonly type: string;
  readonly handle: (request: GrantRequest, deps: Deps) => Promise<TokenResponse>;
}
