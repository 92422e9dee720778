import { hash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { v7 as uuidV7 } from 'uuid';

const poolBytes = 4096;
let pool = Buffer.alloc(0);
let taken = 0;

/**
 * An opaque token with `bytes` of randomness, base64url (codes, refresh tokens, session ids).
 * The bytes come from a pool that `randomBytes` refills 4 KB at a time: one call costs ~2 µs whatever
 * its size, and every code exchange and refresh makes a token (bench/README.md, "Fifth round"); Node's
 * randomUUID keeps the same kind of cache. Each byte is handed out once and zeroed as it leaves, so the
 * pool never holds a token that was issued.
 */
export function randomToken(bytes = 32): string {
  if (bytes > poolBytes) return randomBytes(bytes).toString('base64url');
  if (taken + bytes > pool.length) {
    pool = randomBytes(poolBytes);
    taken = 0;
  }
  const token = pool.toString('base64url', taken, taken + bytes);
  pool.fill(0, taken, taken + bytes);
  taken += bytes;
  return token;
}

export const newId = (): string => randomUUID();

/** The time stamp that starts a stamped token: epoch milliseconds, 12 hex digits (sorts until 10889). */
const stampDigits = 12;
/** A token from `stampedToken(now)`: the stamp, then 32 random bytes in base64url (43 characters). */
const stampedShape = /^[0-9a-f]{12}[A-Za-z0-9_-]{43}$/;

/**
 * An opaque single-use token that is looked up by its hash (authorization codes, refresh tokens): the
 * time it was made in 12 hex digits, then 256 random bits (`randomToken(32)`). See `stampedTokenKey`.
 */
export const stampedToken = (now: number): string =>
  Math.floor(now).toString(16).padStart(stampDigits, '0') + randomToken(32);

/**
 * The stored key of a token: for a stamped token its stamp, a dot and the SHA-256 of the whole token;
 * for any other string (tokens issued before stamps, or not ours) its plain SHA-256, so tokens issued
 * before still work. Stamped keys sort by the time their tokens were made: storing one goes at the
 * right edge of the primary key's B-tree instead of on a random page (one random page less to write,
 * log and checkpoint per code exchange and refresh; bench/README.md, "Fifth round"), and a code looked
 * up seconds after it was made is found on a recent page. The stamp is no secret, the random bits are;
 * a stamp changed by a caller changes the whole key, so it finds nothing.
 */
export function stampedTokenKey(token: string): string {
  const digest = sha256(token);
  return stampedShape.test(token) ? `${token.slice(0, stampDigits)}.${digest}` : digest;
}

/**
 * A UUID that sorts by creation time (RFC 9562 §5.7: 48-bit millisecond timestamp, then random bits),
 * for rows that other rows index by id. A new grant's id then lands at the right edge of the grants'
 * key, and its refresh tokens at the right edge of `refresh_tokens_grant`, instead of on a random
 * B-tree page each: one random page less to write, log and checkpoint per code exchange, whose grant
 * is always new (bench/README.md, "Fifth round"). It tells when the grant was made, which its tokens'
 * `iat` already says.
 */
export const newSortableId = (): string => uuidV7();

/**
 * Codes, refresh tokens and client secrets are high-entropy: SHA-256 is the right hash, not a slow KDF.
 * node:crypto's one-shot `hash` (Node 20.12+) is ~3× createHash for these short inputs (every token
 * request hashes a secret).
 */
export const sha256 = (value: string): string => hash('sha256', value, 'hex');

/** Constant-time comparison of two hex digests or other equal-length strings. */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

const base62Alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Base62 of a non-negative safe integer, left-padded to `length` characters. */
export function base62Number(value: number, length: number): string {
  let n = value;
  let out = '';
  while (n > 0) {
    out = base62Alphabet[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out.padStart(length, '0');
}

/** Big-endian base62 of `bytes`, left-padded to `length` characters. */
export function base62(bytes: Uint8Array, length: number): string {
  let n = BigInt(`0x${Buffer.from(bytes).toString('hex') || '0'}`);
  let out = '';
  while (n > 0n) {
    out = base62Alphabet[Number(n % 62n)] + out;
    n /= 62n;
  }
  return out.padStart(length, '0');
}
