// Opaque tokens (src/crypto.ts): random bytes from a pool, and the time-stamped codes and refresh
// tokens whose stored keys sort by the time they were made, and time-ordered ids.
import { describe, expect, it } from 'vitest';
import { newSortableId, randomToken, sha256, stampedToken, stampedTokenKey } from '../src/crypto.ts';

describe('randomToken', () => {
  it('gives distinct tokens of the asked length across many refills of its pool', () => {
    const tokens = Array.from({ length: 1000 }, () => randomToken(32));
    expect(new Set(tokens).size).toBe(tokens.length);
    for (const t of tokens) expect(Buffer.from(t, 'base64url')).toHaveLength(32);
    expect(Buffer.from(randomToken(16), 'base64url')).toHaveLength(16);
    // Larger than the pool: straight from randomBytes.
    expect(Buffer.from(randomToken(5000), 'base64url')).toHaveLength(5000);
  });

  it('never hands out a token of zeroed (already issued) bytes', () => {
    const zero32 = Buffer.alloc(32).toString('base64url');
    for (let i = 0; i < 500; i++) expect(randomToken(32)).not.toBe(zero32);
  });
});

describe('stamped tokens (codes, refresh tokens)', () => {
  it('have stored keys that sort in the order the tokens were made', () => {
    const times = [1_764_000_000_000, 1_764_000_000_001, 1_764_000_060_000, 1_800_000_000_000];
    const keys = times.map((t) => stampedTokenKey(stampedToken(t)));
    expect([...keys].sort()).toEqual(keys);
    for (const [i, key] of keys.entries()) {
      expect(key.slice(0, 12)).toBe(times[i]!.toString(16).padStart(12, '0'));
      expect(key).toMatch(/^[0-9a-f]{12}\.[0-9a-f]{64}$/);
    }
  });

  it('key the whole token: a changed stamp or an unstamped token gives another key', () => {
    const token = stampedToken(1_764_000_000_000);
    const forged = `${(1_764_000_000_001).toString(16).padStart(12, '0')}${token.slice(12)}`;
    expect(stampedTokenKey(forged)).not.toBe(stampedTokenKey(token));
    expect(stampedTokenKey(forged).slice(13)).not.toBe(stampedTokenKey(token).slice(13));
    // Tokens made before stamps (43 characters) and strings of any other shape: their plain SHA-256.
    const old = randomToken(32);
    expect(stampedTokenKey(old)).toBe(sha256(old));
    expect(stampedTokenKey('x')).toBe(sha256('x'));
  });
});

describe('newSortableId (UUIDv7, RFC 9562 §5.7)', () => {
  it('is a version 7 UUID, and ids made one after another sort in that order, within a millisecond too', () => {
    const ids = Array.from({ length: 5000 }, () => newSortableId());
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const ms = Number.parseInt(ids[0]!.replaceAll('-', '').slice(0, 12), 16);
    expect(Math.abs(ms - Date.now())).toBeLessThan(60_000);
  });
});
