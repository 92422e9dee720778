import { hash, randomBytes, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';

const poolBytes = 4096;
let pool = Buffer.alloc(0);
let taken = 0;

/**
 * An opaque token with `bytes` of randomness, base64url (codes, refresh tokens, session ids).
 * The bytes come from a pool that `randomBytes` refills 4 KB at a time: a call costs about the same
 * whatever its size, and every code exchange and refresh makes a token; Node's randomUUID keeps the
 * same kind of cache. Each byte is handed out once and zeroed as it leaves, so the
 * pool never holds a token that was issued.
 */
export function randomToken(bytes = 32): string {
  if (bytes > poolBytes) return randomBytes(bytes).toString('base64url');
  return fromPool(bytes, (pool, start, end) => pool.toString('base64url', start, end));
}

/** Hands `bytes` of the pool to `use`, then zeroes them: each random byte is used once. */
function fromPool<T>(bytes: number, use: (pool: Buffer, start: number, end: number) => T): T {
  if (taken + bytes > pool.length) {
    pool = randomBytes(poolBytes);
    taken = 0;
  }
  const start = taken;
  taken += bytes;
  try {
    return use(pool, start, taken);
  } finally {
    pool.fill(0, start, taken);
  }
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
 * log and checkpoint per code exchange and refresh), and a code looked
 * up seconds after it was made is found on a recent page. The stamp is no secret, the random bits are;
 * a stamp changed by a caller changes the whole key, so it finds nothing.
 */
export function stampedTokenKey(token: string): string {
  const digest = sha256(token);
  return stampedShape.test(token) ? `${token.slice(0, stampDigits)}.${digest}` : digest;
}

let sortableMs = 0;
let sortableCounter = 0;

/**
 * A UUID that sorts by creation time, for rows that other rows index by id: UUIDv7 (RFC 9562 §5.7),
 * a 48-bit millisecond timestamp, then a 12-bit counter in `rand_a` that starts at a random value in
 * each millisecond and counts up within it (§6.2, method 1: ids of one process sort in the order they
 * were made), then 62 random bits from the pool. A new grant's id then lands at the right edge of the
 * grants' key, and its refresh tokens at the right edge of `refresh_tokens_grant`, instead of on a
 * random B-tree page each. It tells when the grant was made, which its first tokens' `iat` says as
 * well. Hand-written, not the `uuid` package: bundling it made an idle server's heap larger, for a
 * function of a few lines.
 */
export function newSortableId(): string {
  const now = Date.now();
  if (now > sortableMs) {
    sortableMs = now;
    sortableCounter = randomInt(0x800); // the lower half: room to count up within the millisecond
  } else if (++sortableCounter > 0xfff) {
    // Within one millisecond (or with the clock gone back) the counter counts up; when its 12 bits
    // run out, the next millisecond is borrowed (§6.2), so ids keep their order either way.
    sortableMs += 1;
    sortableCounter = 0;
  }
  const id = Buffer.alloc(16);
  id.writeUIntBE(sortableMs, 0, 6);
  id[6] = 0x70 | (sortableCounter >>> 8);
  id[7] = sortableCounter & 0xff;
  fromPool(8, (bytes, start, end) => bytes.copy(id, 8, start, end));
  id[8] = 0x80 | (id[8]! & 0x3f); // the variant (RFC 9562 §4.1), over 2 of the random bits
  const hex = id.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Codes, refresh tokens and client secrets are high-entropy: SHA-256 is the right hash, not a slow KDF.
 * node:crypto's one-shot `hash` (Node 20.12+) makes no Hash object per call, which for inputs this
 * short is most of the work (every token request hashes a secret).
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
