import type { AccessTokenClaims } from '@latchkey/verify';
import { describe, expect, it } from 'vitest';
import { VerifiedTokenCache } from '../../packages/verify/src/verified-token-cache.ts';

const claims = (sub: string) => ({ sub }) as unknown as AccessTokenClaims;

describe('VerifiedTokenCache', () => {
  it('forgets an entry when its token expires', () => {
    const cache = new VerifiedTokenCache(10);
    cache.set('t', claims('a'), 1_000);
    expect(cache.get('t', 999)?.sub).toBe('a');
    expect(cache.get('t', 1_000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('evicts the least recently used entry when full', () => {
    const cache = new VerifiedTokenCache(2);
    cache.set('a', claims('a'), 10);
    cache.set('b', claims('b'), 10);
    cache.get('a', 0); // a is now the most recent
    cache.set('c', claims('c'), 10);
    expect(cache.get('b', 0)).toBeUndefined();
    expect(cache.get('a', 0)?.sub).toBe('a');
    expect(cache.get('c', 0)?.sub).toBe('c');
    expect(cache.size).toBe(2);
  });

  it('stores nothing when its size is 0', () => {
    const cache = new VerifiedTokenCache(0);
    cache.set('a', claims('a'), 10);
    expect(cache.get('a', 0)).toBeUndefined();
  });
});
