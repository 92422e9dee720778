import { type FetchFunction, lazyMetadata } from './discovery.ts';
import { type IssuerOptions, resolveIssuer } from './environments.ts';

export interface EndpointOptions extends IssuerOptions {
  /** Skip discovery and post straight to this URL. */
  tokenEndpoint?: string;
  /** Defaults to the global `fetch`; pass one to add proxies, logging or test doubles. */
  fetch?: FetchFunction;
}

export const globalFetch: FetchFunction = (input, init) => globalThis.fetch(input, init);

/**
 * Returns a function that yields the token endpoint: the configured one, or the one the issuer's
 * RFC 8414 metadata names (fetched on first use, then remembered).
 * Configuration errors are thrown at once, not on the first request.
 */
export function tokenEndpointResolver(options: EndpointOptions): () => Promise<string> {
  const { tokenEndpoint } = options;
  if (tokenEndpoint) return () => Promise.resolve(tokenEndpoint);
  const metadata = lazyMetadata(resolveIssuer(options), options.fetch ?? globalFetch);
  return async () => (await metadata()).token_endpoint;
}

/** RFC 6749 §3.3: scopes travel as one space-delimited string. */
export function scopeParameter(scope: string | readonly string[] | undefined): string | undefined {
  if (scope === undefined) return undefined;
  const joined = typeof scope === 'string' ? scope : scope.join(' ');
  return joined || undefined;
}
