import type * as NodeCrypto from 'node:crypto';
import { ALGORITHMS, type AlgorithmSpec, type SupportedAlgorithm } from './algorithms.ts';
import { invalidToken } from './errors.ts';
import type { PublicJwk } from './jwk.ts';

/** Checks one signature over a JWS signing input with one key and one algorithm. */
export type SignatureCheck = (signingInput: string, signature: Uint8Array) => boolean | Promise<boolean>;

type NodeCryptoModule = typeof NodeCrypto;

let nodeCrypto: Promise<NodeCryptoModule | undefined> | undefined;

/**
 * node:crypto verifies ES256 synchronously at about twice the rate of WebCrypto in Node, so it is
 * used wherever it exists (Node, and Bun/Deno's compatibility layers); other runtimes get WebCrypto.
 * Imported dynamically so that bundles for browsers and edge runtimes never need it.
 */
function loadNodeCrypto(): Promise<NodeCryptoModule | undefined> {
  nodeCrypto ??= globalThis.process?.versions?.node
    ? import('node:crypto').catch(() => undefined)
    : Promise.resolve(undefined);
  return nodeCrypto;
}

/** RFC 7518 §3.3 and §3.5: RSA keys for RS256…PS512 must be at least 2048 bits. */
const MIN_RSA_MODULUS_BITS = 2048;

/**
 * Builds the check for `alg` with `jwk`, refusing any pairing the key does not fit: the key
 * decides the algorithm family, so a token cannot pick a weaker or different one (RFC 8725 §3.1).
 */
export async function createSignatureCheck(
  jwk: PublicJwk,
  alg: SupportedAlgorithm,
  /** `webcrypto` forces the portable path (tests use it to cover non-Node runtimes). */
  engine: 'auto' | 'webcrypto' = 'auto',
): Promise<SignatureCheck> {
  const spec = ALGORITHMS[alg];
  const keyName = jwk.kid === undefined ? 'the signing key' : `key "${jwk.kid}"`;
  if (
    (jwk.alg !== undefined && jwk.alg !== alg) ||
    jwk.kty !== spec.kty ||
    (spec.crv && jwk.crv !== spec.crv)
  ) {
    throw invalidToken(`${keyName} cannot verify ${alg}`);
  }
  const crypto = engine === 'auto' ? await loadNodeCrypto() : undefined;
  try {
    return crypto ? nodeSignatureCheck(crypto, jwk, spec) : await webCryptoSignatureCheck(jwk, spec);
  } catch (cause) {
    if (cause instanceof Error && cause.name === 'TokenVerificationError') throw cause;
    throw invalidToken(`${keyName} could not be imported`, cause);
  }
}

function nodeSignatureCheck(crypto: NodeCryptoModule, jwk: PublicJwk, spec: AlgorithmSpec): SignatureCheck {
  // One KeyObject per key, made here once: parsing the JWK on every call would cost more than the check.
  const key = crypto.createPublicKey({ key: publicMembers(jwk) as NodeCrypto.JsonWebKey, format: 'jwk' });
  const hash = spec.hash?.replace('-', '').toLowerCase() ?? null;
  const guarded =
    (check: (data: Buffer, signature: Uint8Array) => boolean): SignatureCheck =>
    (signingInput, signature) => {
      if (spec.signatureLength !== undefined && signature.length !== spec.signatureLength) return false;
      try {
        return check(Buffer.from(signingInput, 'latin1'), signature);
      } catch {
        return false;
      }
    };

  switch (spec.family) {
    case 'ECDSA': {
      // JWS carries r||s (RFC 7518 §3.4), not DER: ieee-p1363 reads it as is.
      const options = { key, dsaEncoding: 'ieee-p1363' as const };
      return guarded((data, signature) => crypto.verify(hash, data, options, signature));
    }
    case 'RSASSA-PKCS1-v1_5':
      assertRsaSize(key.asymmetricKeyDetails?.modulusLength ?? 0, jwk);
      return guarded((data, signature) => crypto.verify(hash, data, key, signature));
    case 'RSA-PSS': {
      assertRsaSize(key.asymmetricKeyDetails?.modulusLength ?? 0, jwk);
      // RFC 7518 §3.5: the salt is as long as the hash output.
      const options = {
        key,
        padding: crypto.constants.RSA_PKCS1_PSS_PADDING,
        saltLength: hashLength(spec),
      };
      return guarded((data, signature) => crypto.verify(hash, data, options, signature));
    }
    case 'EdDSA':
      return guarded((data, signature) => crypto.verify(null, data, key, signature));
  }
}

async function webCryptoSignatureCheck(jwk: PublicJwk, spec: AlgorithmSpec): Promise<SignatureCheck> {
  const subtle = globalThis.crypto.subtle;
  let importAlgorithm: RsaHashedImportParams | EcKeyImportParams | Algorithm;
  let verifyAlgorithm: EcdsaParams | RsaPssParams | Algorithm;
  switch (spec.family) {
    case 'ECDSA':
      importAlgorithm = { name: 'ECDSA', namedCurve: spec.crv! };
      verifyAlgorithm = { name: 'ECDSA', hash: spec.hash! };
      break;
    case 'RSASSA-PKCS1-v1_5':
      assertRsaSize(base64UrlByteLength(jwk.n) * 8, jwk);
      importAlgorithm = { name: spec.family, hash: spec.hash! };
      verifyAlgorithm = { name: spec.family };
      break;
    case 'RSA-PSS':
      assertRsaSize(base64UrlByteLength(jwk.n) * 8, jwk);
      importAlgorithm = { name: spec.family, hash: spec.hash! };
      verifyAlgorithm = { name: spec.family, saltLength: hashLength(spec) } as RsaPssParams;
      break;
    case 'EdDSA':
      importAlgorithm = { name: 'Ed25519' };
      verifyAlgorithm = { name: 'Ed25519' };
      break;
  }
  const key = await subtle.importKey('jwk', publicMembers(jwk), importAlgorithm, false, ['verify']);
  const encoder = new TextEncoder();
  return async (signingInput, signature) => {
    if (spec.signatureLength !== undefined && signature.length !== spec.signatureLength) return false;
    try {
      return await subtle.verify(
        verifyAlgorithm,
        key,
        signature as Uint8Array<ArrayBuffer>,
        encoder.encode(signingInput),
      );
    } catch {
      return false;
    }
  };
}

/** Only the public members: importers reject `use`/`key_ops` combinations they dislike. */
function publicMembers(jwk: PublicJwk): JsonWebKey {
  const { kty, crv, x, y, n, e } = jwk;
  return { kty, crv, x, y, n, e };
}

function hashLength(spec: AlgorithmSpec): number {
  return Number(spec.hash!.slice(4)) / 8;
}

function base64UrlByteLength(value: string | undefined): number {
  return value ? Math.floor((value.length * 3) / 4) : 0;
}

function assertRsaSize(modulusBits: number, jwk: PublicJwk): void {
  if (modulusBits < MIN_RSA_MODULUS_BITS) {
    throw invalidToken(`RSA key "${jwk.kid ?? ''}" is shorter than ${MIN_RSA_MODULUS_BITS} bits`);
  }
}
