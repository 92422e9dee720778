import type { KeyRing } from './keyring.ts';

/** RFC 7517 JWK Set of the public keys only: `kty`, `crv`, `x`, `y`, `kid`, `alg`, `use`. */
export function jwks(keys: KeyRing): { keys: Record<string, unknown>[] } {
  return {
    keys: keys.publicKeys().map(({ jwk }) => ({
      kty: jwk.kty,
      crv: jwk.crv,
      x: jwk.x,
      y: jwk.y,
      kid: jwk.kid,
      alg: 'ES256',
      use: 'sig',
    })),
  };
}

/** The same keys as concatenated SPKI PEM blocks, for tools that want a public key file. */
export const pem = (keys: KeyRing): string =>
  keys
    .publicKeys()
    .map((k) => k.key.export({ format: 'pem', type: 'spki' }).toString())
    .join('');
