import { systemClock } from './clock.ts';
import type { DpopKey } from './dpop.ts';
import { type EndpointOptions, globalFetch, scopeParameter, tokenEndpointResolver } from './endpoints.ts';
import { type ClientAuthMethod, requestToken } from './token-endpoint.ts';
import { CachedTokenSource, type TokenSource, type TokenTimingOptions } from './token-source.ts';

export interface ClientCredentialsOptions extends EndpointOptions, TokenTimingOptions {
  clientId: string;
  clientSecret: string;
  /** Scopes to ask for; omitted means the client's default scopes (RFC 6749 §3.3). */
  scope?: string | readonly string[];
  /** `basic` (default) or `post`, see RFC 6749 §2.3.1. */
  auth?: ClientAuthMethod;
  /** DPoP-bound tokens (RFC 9449): give the same key to authenticatedFetch. */
  dpop?: DpopKey;
}

/**
 * A token source for server-to-server calls (RFC 6749 §4.4, client_credentials grant).
 * It caches the token and renews it ahead of expiry; concurrent callers share one token request.
 */
export function clientCredentials(options: ClientCredentialsOptions): TokenSource {
  const tokenEndpoint = tokenEndpointResolver(options);
  const fetch = options.fetch ?? globalFetch;
  const clock = options.clock ?? systemClock;
  const scope = scopeParameter(options.scope);
  const client = {
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    auth: options.auth,
    dpop: options.dpop,
  };

  return new CachedTokenSource(
    async () =>
      requestToken({
        endpoint: await tokenEndpoint(),
        params: scope ? { grant_type: 'client_credentials', scope } : { grant_type: 'client_credentials' },
        client,
        fetch,
        clock,
      }),
    options,
  );
}
