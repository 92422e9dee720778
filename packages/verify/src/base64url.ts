const hasBuffer = typeof globalThis.Buffer === 'function';

/** Decodes base64url (RFC 7515 §2, no padding) with Buffer where it exists, atob elsewhere. */
export function base64UrlToBytes(input: string): Uint8Array {
  return hasBuffer ? Buffer.from(input, 'base64url') : portableBase64UrlToBytes(input);
}

/** The decoder for runtimes without Buffer (exported for tests). */
export function portableBase64UrlToBytes(input: string): Uint8Array {
  const base64 = input.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64.padEnd(base64.length + ((4 - (base64.length % 4)) % 4), '='));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

const utf8 = new TextDecoder();

export function base64UrlToText(input: string): string {
  if (hasBuffer) return Buffer.from(input, 'base64url').toString('utf8');
  return utf8.decode(base64UrlToBytes(input));
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Buffer's decoder skips characters it does not know; a JWS segment must not contain any (RFC 7515 §7.1). */
export function isBase64Url(input: string): boolean {
  return BASE64URL.test(input);
}
