/**
 * The JWS algorithms the verifier accepts (RFC 7518 §3). Only asymmetric ones: an HMAC algorithm
 * would let anyone who holds the *public* key mint tokens ("HS256 with the public key" confusion),
 * and `none` is never a signature (RFC 8725 §3.1, §3.2). jose checks that the key fits the algorithm.
 */
export type SupportedAlgorithm =
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'EdDSA';

export const SUPPORTED_ALGORITHMS: SupportedAlgorithm[] = [
  'ES256',
  'ES384',
  'ES512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'EdDSA',
];

export function isSupportedAlgorithm(alg: unknown): alg is SupportedAlgorithm {
  return typeof alg === 'string' && (SUPPORTED_ALGORITHMS as string[]).includes(alg);
}
