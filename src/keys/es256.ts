import { type KeyObject, sign } from 'node:crypto';
import { loadAddon } from '../native.ts';

export interface Es256Signer {
  /** Signs a JWS signing input (`header.payload`) and returns the signature, base64url (RFC 7515 §3). */
  sign(signingInput: string): string;
  /** Whether the addon signs, or node:crypto. */
  native: boolean;
}

interface NativeEs256 {
  create(pkcs8: Buffer): object;
  sign(signer: object, signingInput: string): string;
}

/**
 * The addon in native/es256.c, built by scripts/build.mjs into dist/native/. It keeps one OpenSSL
 * context per key: 29–38 µs per signature here against 38–65 µs through node:crypto's sign()
 * (bench/README.md, "Eleventh round"). Where it is not built (no C compiler at install), node:crypto.
 */
const native = loadAddon<NativeEs256>('es256');

/** Whether the addon loaded in this process, and if not why (for the start-up warning). */
export const es256Signing: { native: boolean; reason?: string } = native.addon
  ? { native: true }
  : { native: false, reason: native.reason };

/** The signer for one P-256 private key: the addon's when it loaded and `useNative`, else node:crypto's. */
export function es256Signer(key: KeyObject, useNative = true): Es256Signer {
  const addon = native.addon;
  if (useNative && addon) {
    const der = key.export({ format: 'der', type: 'pkcs8' });
    const signer = addon.create(der);
    der.fill(0); // the addon holds its own copy; this one is not left for the GC to find
    return { sign: (signingInput) => addon.sign(signer, signingInput), native: true };
  }
  return {
    // RFC 7518 §3.4: the JWS signature is R || S, which is what ieee-p1363 encoding yields.
    sign: (signingInput) =>
      sign('sha256', Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url'),
    native: false,
  };
}
