/**
 * @latchkey/verify: verify Latchkey access tokens in an API. Runs wherever `fetch` and WebCrypto
 * exist; JWS, JWK and JWT work is jose's. Imports nothing from the server.
 */
export { isSupportedAlgorithm, SUPPORTED_ALGORITHMS, type SupportedAlgorithm } from './algorithms.ts';
export { bearerTokenFromHeader } from './bearer-header.ts';
export { type AccessTokenClaims, hasScopes } from './claims.ts';
export {
  createDpopCheck,
  DPOP_ALGORITHMS,
  DpopProofError,
  type DpopReplayStore,
  type DpopRequest,
  type DpopRequestProof,
  jwkThumbprint,
  memoryDpopReplayStore,
  type VerifiedDpopProof,
  verifyDpopProof,
} from './dpop.ts';
export { TokenVerificationError, type VerificationErrorCode } from './errors.ts';
export { type FastifyBearerAuthOptions, type FastifyInstanceLike, fastifyBearerAuth } from './fastify.ts';
export {
  type AuthRefusal,
  authChallenge,
  authRefusal,
  bearerChallenge,
  type ChallengeParams,
  dpopChallenge,
  type FastifyStyleReply,
  type NodeStyleResponse,
  type ResponseLike,
  sendAuthError,
  sendRefusal,
} from './http-response.ts';
export type { IntrospectionOptions } from './introspection.ts';
export { type JwkSetSource, JwksCache, type JwksCacheOptions } from './jwks.ts';
export {
  type AuthGuard,
  type BearerAuthOptions,
  type BearerCheck,
  bearerAuth,
  createBearerCheck,
  getAuth,
  type Next,
  type RequestLike,
  requireScope,
} from './middleware.ts';
export {
  createProtectedResource,
  type ProtectedResource,
  type ProtectedResourceMetadata,
  type ProtectedResourceOptions,
  type ResourceAuthentication,
} from './protected-resource.ts';
export { requireAccessToken, serveResourceMetadata } from './protected-resource-node.ts';
export { createVerifier, type Verifier, type VerifierOptions, type VerifierStats } from './verifier.ts';
