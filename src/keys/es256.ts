import { type KeyObject, sign } from 'node:crypto';

/** Signs a JWS signing input (`header.payload`) and returns the signature, base64url (RFC 7515 §3). */
export type Es256Sign = (signingInput: string) => string;

/**
 * The signer for one P-256 private key, made once per key: node:crypto signs with the `KeyObject`
 * directly, with no key parsing per signature.
 */
export function es256Signer(key: KeyObject): Es256Sign {
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new TypeError('ES256 signs with a P-256 private key (RFC 7518 §3.4)');
  }
  // RFC 7518 §3.4: the JWS signature is R || S, which is what ieee-p1363 encoding yields.
  return (signingInput) =>
    sign('sha256', Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
}
