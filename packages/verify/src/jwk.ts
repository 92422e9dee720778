/** The public JWK members the verifier reads (RFC 7517 §4, RFC 7518 §6). */
export interface PublicJwk {
  kty: string;
  kid?: string;
  use?: string;
  key_ops?: string[];
  alg?: string;
  crv?: string;
  x?: string;
  y?: string;
  n?: string;
  e?: string;
  /** Private or symmetric material; its presence means the key set is not a public one. */
  d?: string;
  k?: string;
}

/** Keys usable for verifying signatures: RFC 7517 §4.2 `use` and §4.3 `key_ops` permit it. */
export function isSignatureVerificationKey(jwk: PublicJwk): boolean {
  if (jwk.use !== undefined && jwk.use !== 'sig') return false;
  if (jwk.key_ops !== undefined && !jwk.key_ops.includes('verify')) return false;
  // A symmetric key in a JWKS is a misconfiguration we refuse rather than half-use.
  return jwk.kty === 'EC' || jwk.kty === 'RSA' || jwk.kty === 'OKP';
}
