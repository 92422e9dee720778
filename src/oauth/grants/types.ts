import type { Services } from '../../services.ts';
import type { AuthenticatedClient } from '../client-auth.ts';
import type { Params } from '../params.ts';

/** RFC 6749 §5.1 successful token response. */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  refresh_token?: string;
}

export interface GrantRequest {
  auth: AuthenticatedClient;
  params: Params;
}

/** One handler per grant type (fosite's model): it checks its own parameters and issues tokens. */
export interface GrantHandler {
  readonly type: string;
  handle(request: GrantRequest, s: Services): Promise<TokenResponse>;
}
