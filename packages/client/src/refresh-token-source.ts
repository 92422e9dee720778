import { systemClock } from './clock.ts';
import { type EndpointOptions, globalFetch, scopeParameter, tokenEndpointResolver } from './endpoints.ts';
import { LatchkeyError } from './errors.ts';
import { type ClientCredentials, requestToken, type TokenResponse } from './token-endpoint.ts';
import { CachedTokenSource, type TokenSource, type TokenTimingOptions } from './token-source.ts';

export interface RefreshTokenSourceOptions extends EndpointOptions, ClientCredentials, TokenTimingOptions {
  /** The newest refresh token you have stored. */
  refreshToken: string;
  /**
   * Persist the new refresh token. Latchkey rotates refresh tokens on every use and treats a second
   * use of an old one as theft (revoking the whole grant), so the new one must be stored before it
   * is needed again. Called, and awaited, before the new access token is handed out.
   */
  onRefreshToken: (refreshToken: string, response: TokenResponse) => void | Promise<void>;
  /** Tokens you already hold (e.g. from exchangeCode), so the first call needs no refresh. */
  initialTokens?: TokenResponse;
  /** Ask for fewer scopes than granted (RFC 6749 §6). */
  scope?: string | readonly string[];
}

/**
 * A token source for a user's grant: it refreshes the access token with the refresh token
 * (RFC 6749 §6), hands each rotated refresh token to `onRefreshToken`, and never runs two refreshes at
 * once, since two concurrent uses of one refresh token would count as a replay and burn the grant.
 * (Single flight covers this process; several processes sharing one grant need a lock of their own.)
 */
export function refreshTokenSource(options: RefreshTokenSourceOptions): TokenSource {
  const tokenEndpoint = tokenEndpointResolver(options);
  const fetch = options.fetch ?? globalFetch;
  const clock = options.clock ?? systemClock;
  const scope = scopeParameter(options.scope);
  const client: ClientCredentials = {
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    auth: options.auth,
    dpop: options.dpop,
  };
  let refreshToken = options.refreshToken;

  const source = new CachedTokenSource(async () => {
    const params: Record<string, string> = { grant_type: 'refresh_token', refresh_token: refreshToken };
    if (scope) params.scope = scope;
    const response = await requestToken({ endpoint: await tokenEndpoint(), params, client, fetch, clock });
    // RFC 6749 §6: the server MAY issue a new refresh token; if it does not, the old one stays valid.
    if (response.refresh_token && response.refresh_token !== refreshToken) {
      refreshToken = response.refresh_token;
      try {
        await options.onRefreshToken(refreshToken, response);
      } catch (cause) {
        // The old token is spent: keep the new one in memory so the next call can refresh (and store) again.
        throw new LatchkeyError('storage_error', { description: 'onRefreshToken failed', cause });
      }
    }
    return response;
  }, options);

  if (options.initialTokens) source.seed(options.initialTokens);
  return source;
}
