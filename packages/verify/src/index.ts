/**
 * latchkey/verify: verify Latchkey access tokens in an API. Runs wherever `fetch` and WebCrypto
 * exist; in Node it verifies with node:crypto for speed. Imports nothing from the server.
 */
export { SUPPORTED_ALGORITHMS, type SupportedAlgorithm } from './algorithms.ts';
export { bearerTokenFromHeader } from './bearer-header.ts';
export { type AccessTokenClaims, hasScopes } from './claims.ts';
export {
  createDpopCheck,
  DPOP_ALGORITHMS,
  DpopProofError,
  type DpopReplayStore,
  type DpopRequestProof,
  jwkThumbprint,
  memoryDpopReplayStore,
  type VerifiedDpopProof,
  verifyDpopProof,
} from './dpop.ts';
export { TokenVerificationError, type VerificationErrorCode } from './errors.ts';
export { type FastifyBearerAuthOptions, type FastifyInstanceLike, fastifyBearerAuth } from './fastify.ts';
export {
  bearerChallenge,
  type FastifyStyleReply,
  type NodeStyleResponse,
  type ResponseLike,
  sendAuthError,
} from './http-response.ts';
export type { IntrospectionOptions } from './introspection.ts';
export type { JwkSetSource } from './jwks.ts';
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
export { createVerifier, type Verifier, type VerifierOptions, type VerifierStats } from './verifier.ts';
