import { describe, expect, it } from 'vitest';
import { newId } from '../../../src/crypto.ts';
import type { Contract } from '../contract.ts';

export function keysAndRevocationsContract({ store, clock }: Contract): void {
  const key = () => ({
    kid: newId(),
    alg: 'ES256',
    privateJwk: '{"kty":"EC","d":"private"}',
    publicJwk: '{"kty":"EC"}',
    createdAt: clock(),
    retiredAt: null,
  });

  describe('signing keys', () => {
    it('list newest first; adding one retires the others; retired ones are pruned later', async () => {
      const first = key();
      await store().keys.addAndRetireOthers(first, clock());
      clock.advance(1000);
      const second = key();
      await store().keys.addAndRetireOthers(second, clock());
      const keys = await store().keys.list();
      expect(keys[0]).toEqual(second);
      expect(keys[1]).toEqual({ ...first, retiredAt: clock() });
      expect(keys.filter((k) => k.retiredAt === null)).toEqual([second]);
      expect(await store().keys.pruneRetired(clock())).toBe(0);
      expect(await store().keys.pruneRetired(clock() + 1)).toBeGreaterThanOrEqual(1);
      expect((await store().keys.list()).map((k) => k.kid)).not.toContain(first.kid);
    });
  });

  describe('revocations', () => {
    it('remember a revoked jti (twice is fine) until it would have expired', async () => {
      const jti = newId();
      await store().revocations.revoke(jti, clock() + 1000);
      await store().revocations.revoke(jti, clock() + 1000);
      expect(await store().revocations.isRevoked(jti)).toBe(true);
      expect(await store().revocations.isRevoked(newId())).toBe(false);
      await store().revocations.prune(clock() + 1000);
      expect(await store().revocations.isRevoked(jti)).toBe(true);
      await store().revocations.prune(clock() + 1001);
      expect(await store().revocations.isRevoked(jti)).toBe(false);
    });

    it("tell a bearer token's status in one answer: revoked jti, grant active", async () => {
      const jti = newId();
      const noGrant = { revoked: false, grantActive: true };
      expect(await store().revocations.accessTokenStatus(jti, undefined)).toEqual(noGrant);
      // A grant that does not exist (deleted with its user) is not active.
      expect(await store().revocations.accessTokenStatus(jti, newId())).toEqual({
        revoked: false,
        grantActive: false,
      });
      await store().revocations.revoke(jti, clock() + 1000);
      expect(await store().revocations.accessTokenStatus(jti, undefined)).toEqual({
        revoked: true,
        grantActive: true,
      });
    });
  });

  describe('the store itself', () => {
    it('answers, is migrated, and reads a table as stored', async () => {
      await store().ping();
      expect(await store().migrate()).toEqual([]);
      const rows = await store().rows('signing_keys');
      expect(rows.every((r) => typeof r.created_at === 'number')).toBe(true);
    });
  });
}
