/**
 * DPoP (RFC 9449) for the SDK: a key pair the client keeps, and the proofs it signs with it for each
 * request to the token endpoint and to the API. WebCrypto only, so it runs wherever the SDK does.
 * The private key is made non-extractable: it cannot leave this process.
 */

export interface DpopKey {
  /** A proof for one request: `htm`, `htu` (no query), `iat`, a fresh `jti`, `ath` with a token. */
  proof(method: string, url: string, accessToken?: string): Promise<string>;
  /** Remembers the server's nonce from a `DPoP-Nonce` header (RFC 9449 §8) for the next proofs. */
  setNonce(url: string, nonce: string): void;
}

const encoder = new TextEncoder();
const base64Url = (bytes: ArrayBuffer | Uint8Array): string => {
  let binary = '';
  for (const b of new Uint8Array(bytes)) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
};
const json = (value: unknown): string => base64Url(encoder.encode(JSON.stringify(value)));

/** A new ES256 DPoP key (or one you made: an ECDSA P-256 CryptoKeyPair). */
export async function createDpopKey(
  pair?: CryptoKeyPair,
  options: { clock?: () => number } = {},
): Promise<DpopKey> {
  const keys =
    pair ??
    ((await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
      'sign',
      'verify',
    ])) as CryptoKeyPair);
  const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', keys.publicKey);
  const header = json({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty, crv, x, y } });
  const clock = options.clock ?? Date.now;
  const nonces = new Map<string, string>();
  const origin = (url: string) => new URL(url).origin;

  return {
    async proof(method, url, accessToken) {
      const u = new URL(url);
      const claims: Record<string, unknown> = {
        htm: method.toUpperCase(),
        htu: `${u.origin}${u.pathname}`,
        iat: Math.floor(clock() / 1000),
        jti: crypto.randomUUID(),
      };
      const nonce = nonces.get(u.origin);
      if (nonce) claims.nonce = nonce;
      if (accessToken !== undefined) {
        claims.ath = base64Url(await crypto.subtle.digest('SHA-256', encoder.encode(accessToken)));
      }
      const input = `${header}.${json(claims)}`;
      // WebCrypto's ECDSA signature is r||s, exactly the JWS form (RFC 7518 §3.4).
      const signature = await crypto.subtle.sign(
        { name: 'ECDSA', hash: 'SHA-256' },
        keys.privateKey,
        encoder.encode(input),
      );
      return `${input}.${base64Url(signature)}`;
    },
    setNonce(url, nonce) {
      nonces.set(origin(url), nonce);
    },
  };
}
