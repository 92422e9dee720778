/**
 * The JWS algorithms the verifier accepts (RFC 7518 §3). Only asymmetric ones: an HMAC algorithm
 * would let anyone who holds the *public* key mint tokens ("HS256 with the public key" confusion),
 * and `none` is never a signature (RFC 8725 §3.1, §3.2).
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

type Hash = 'SHA-256' | 'SHA-384' | 'SHA-512';

export interface AlgorithmSpec {
  /** The key type the algorithm needs: the JWK decides which algorithms can be used with it. */
  kty: 'EC' | 'RSA' | 'OKP';
  crv?: 'P-256' | 'P-384' | 'P-521' | 'Ed25519';
  hash: Hash | undefined;
  family: 'ECDSA' | 'RSASSA-PKCS1-v1_5' | 'RSA-PSS' | 'EdDSA';
  /** Exact signature length where it is fixed (ECDSA r||s, RFC 7518 §3.4; Ed25519). */
  signatureLength?: number;
}

export const ALGORITHMS: Readonly<Record<SupportedAlgorithm, AlgorithmSpec>> = {
  ES256: { kty: 'EC', crv: 'P-256', hash: 'SHA-256', family: 'ECDSA', signatureLength: 64 },
  ES384: { kty: 'EC', crv: 'P-384', hash: 'SHA-384', family: 'ECDSA', signatureLength: 96 },
  ES512: { kty: 'EC', crv: 'P-521', hash: 'SHA-512', family: 'ECDSA', signatureLength: 132 },
  RS256: { kty: 'RSA', hash: 'SHA-256', family: 'RSASSA-PKCS1-v1_5' },
  RS384: { kty: 'RSA', hash: 'SHA-384', family: 'RSASSA-PKCS1-v1_5' },
  RS512: { kty: 'RSA', hash: 'SHA-512', family: 'RSASSA-PKCS1-v1_5' },
  PS256: { kty: 'RSA', hash: 'SHA-256', family: 'RSA-PSS' },
  PS384: { kty: 'RSA', hash: 'SHA-384', family: 'RSA-PSS' },
  PS512: { kty: 'RSA', hash: 'SHA-512', family: 'RSA-PSS' },
  EdDSA: { kty: 'OKP', crv: 'Ed25519', hash: undefined, family: 'EdDSA', signatureLength: 64 },
};

export const SUPPORTED_ALGORITHMS = Object.keys(ALGORITHMS) as SupportedAlgorithm[];

export function isSupportedAlgorithm(alg: unknown): alg is SupportedAlgorithm {
  return typeof alg === 'string' && Object.hasOwn(ALGORITHMS, alg);
}
