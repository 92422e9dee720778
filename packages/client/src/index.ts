/**
 * @latchkey/client: the integrator SDK. Runs wherever `fetch` and WebCrypto exist (Node 22+,
 * Deno, Bun, browsers, edge runtimes) and imports nothing from the server.
 */
export {
  type AuthenticatedFetch,
  type AuthenticatedFetchOptions,
  authenticatedFetch,
} from './authenticated-fetch.ts';
export {
  type AuthorizationRequest,
  type AuthorizationRequestOptions,
  type CallbackExpectations,
  type CodeExchangeOptions,
  type CodeExchangeResult,
  checkCallback,
  createAuthorizationRequest,
  exchangeCode,
} from './authorization-code.ts';
export { type ClientCredentialsOptions, clientCredentials } from './client-credentials.ts';
export type { Clock, Sleep } from './clock.ts';
export {
  type AuthorizationServerMetadata,
  discoveryUrl,
  type FetchFunction,
  fetchMetadata,
} from './discovery.ts';
export { createDpopKey, type DpopKey } from './dpop.ts';
export type { EndpointOptions } from './endpoints.ts';
export { type EnvironmentName, type IssuerOptions, resolveIssuer } from './environments.ts';
export { LatchkeyError, type LatchkeyErrorCode, type LatchkeyErrorOptions } from './errors.ts';
export type { IdTokenClaims } from './id-token.ts';
export { type RefreshTokenSourceOptions, refreshTokenSource } from './refresh-token-source.ts';
export type { ClientAuthMethod, ClientCredentials, TokenResponse } from './token-endpoint.ts';
export type { TokenSource, TokenTimingOptions } from './token-source.ts';
