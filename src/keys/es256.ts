import { type KeyObject, sign } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Signs a JWS signing input (`header.payload`) and returns the signature, base64url (RFC 7515 §3). */
export type Es256Sign = (signingInput: string) => string;

interface NativeEs256 {
  create(pkcs8: Buffer): object;
  sign(signer: object, signingInput: string): string;
}

/**
 * The addon in native/es256.c, built by scripts/build.mjs into dist/native/. It keeps one OpenSSL
 * context per key: ~34 µs per signature here against ~46–60 µs through node:crypto's sign()
 * (bench/README.md, "Eleventh round"). Where it is not built (no C compiler at install), node:crypto.
 * Both src/keys/ and dist/keys/ are two folders below the package root.
 */
function loadNative(): { addon: NativeEs256 } | { addon: undefined; reason: string } {
  try {
    const path = fileURLToPath(new URL('../../dist/native/es256.node', import.meta.url));
    return { addon: createRequire(import.meta.url)(path) as NativeEs256 };
  } catch (error) {
    return { addon: undefined, reason: (error as Error).message.split('\n')[0]! };
  }
}

const native = loadNative();

/** Whether the native signer loaded in this process (the start-up log says when it did not). */
export const es256Signing: { native: boolean; reason?: string } = native.addon
  ? { native: true }
  : { native: false, reason: native.reason };

/** The signing function for one P-256 private key: the addon's, or node:crypto's. */
export function es256Signer(key: KeyObject, useNative = true): Es256Sign {
  const addon = native.addon;
  if (useNative && addon) {
    const der = key.export({ format: 'der', type: 'pkcs8' });
    const signer = addon.create(der);
    der.fill(0); // the addon holds its own copy; this one is not left for the GC to find
    return (signingInput) => addon.sign(signer, signingInput);
  }
  // RFC 7518 §3.4: the JWS signature is R || S, which is what ieee-p1363 encoding yields.
  return (signingInput) =>
    sign('sha256', Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
}
