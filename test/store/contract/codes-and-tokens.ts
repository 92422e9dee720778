import { describe, expect, it } from 'vitest';
import { newId, sha256 } from '../../../src/crypto.ts';
import type { Contract, Tenant } from '../contract.ts';

export function codesAndTokensContract({ store, clock, tenant }: Contract): void {
  const setup = async () => {
    const t = await tenant();
    const grant = await store().grants.create(
      { clientId: t.clientId, userId: t.userId, orgId: t.orgId, scope: 'read' },
      clock(),
    );
    return { t, grantId: grant.id };
  };
  const code = (t: Tenant, grantId: string, expiresAt = clock() + 60_000) => ({
    codeHash: sha256(newId()),
    clientId: t.clientId,
    grantId,
    userId: t.userId,
    orgId: t.orgId,
    redirectUri: 'https://app.example/cb',
    redirectUriSent: false,
    scope: 'read',
    codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    expiresAt,
    createdAt: clock(),
  });
  const token = (t: Tenant, grantId: string, familyId: string) => ({
    tokenHash: sha256(newId()),
    familyId,
    clientId: t.clientId,
    grantId,
    userId: t.userId,
    orgId: t.orgId,
    scope: 'read',
    createdAt: clock(),
    expiresAt: clock() + 60_000,
    familyExpiresAt: clock() + 120_000,
  });

  describe('authorization codes', () => {
    it('round-trip, booleans included', async () => {
      const { t, grantId } = await setup();
      const c = code(t, grantId);
      await store().codes.create(c);
      expect(await store().codes.find(c.codeHash)).toEqual({ ...c, consumedAt: null });
      const sent = { ...code(t, grantId), redirectUriSent: true, codeChallenge: null };
      await store().codes.create(sent);
      expect(await store().codes.find(sent.codeHash)).toMatchObject({
        redirectUriSent: true,
        codeChallenge: null,
      });
    });

    it('are redeemed once: of racing redemptions exactly one wins, a later one finds nothing', async () => {
      const { t, grantId } = await setup();
      const c = code(t, grantId);
      await store().codes.create(c);
      const results = await Promise.all([1, 2, 3, 4].map(() => store().codes.consume(c.codeHash, clock())));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store().codes.consume(c.codeHash, clock())).toBe(false);
      expect((await store().codes.find(c.codeHash))!.consumedAt).toBe(clock());
      expect(await store().codes.consume(sha256('unknown'), clock())).toBe(false);
    });

    it('are pruned once expired, and only then', async () => {
      const { t, grantId } = await setup();
      const old = code(t, grantId, clock() - 1);
      const live = code(t, grantId);
      await store().codes.create(old);
      await store().codes.create(live);
      await store().codes.prune(clock());
      expect(await store().codes.find(old.codeHash)).toBeUndefined();
      expect(await store().codes.find(live.codeHash)).toBeDefined();
    });
  });

  describe('refresh tokens', () => {
    it('round-trip', async () => {
      const { t, grantId } = await setup();
      const r = token(t, grantId, newId());
      await store().refreshTokens.create(r);
      expect(await store().refreshTokens.find(r.tokenHash)).toEqual({
        ...r,
        consumedAt: null,
        revokedAt: null,
      });
      expect(await store().refreshTokens.find(sha256('unknown'))).toBeUndefined();
    });

    it('rotate once: of racing rotations exactly one wins, a later one finds nothing', async () => {
      const { t, grantId } = await setup();
      const r = token(t, grantId, newId());
      await store().refreshTokens.create(r);
      const results = await Promise.all(
        [1, 2, 3].map(() => store().refreshTokens.consume(r.tokenHash, clock())),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store().refreshTokens.consume(r.tokenHash, clock())).toBe(false);
      expect((await store().refreshTokens.find(r.tokenHash))!.consumedAt).toBe(clock());
    });

    it('revoke a whole family, and only that family; a revoked token cannot rotate', async () => {
      const { t, grantId } = await setup();
      const family = newId();
      const used = token(t, grantId, family);
      const current = token(t, grantId, family);
      const otherFamily = token(t, grantId, newId());
      for (const r of [used, current, otherFamily]) await store().refreshTokens.create(r);
      await store().refreshTokens.consume(used.tokenHash, clock());
      clock.advance(1000);
      await store().refreshTokens.revokeFamily(family, clock());
      expect((await store().refreshTokens.find(used.tokenHash))!.revokedAt).toBe(clock());
      expect((await store().refreshTokens.find(current.tokenHash))!.revokedAt).toBe(clock());
      expect(await store().refreshTokens.consume(current.tokenHash, clock())).toBe(false);
      expect((await store().refreshTokens.find(otherFamily.tokenHash))!.revokedAt).toBeNull();
      expect(await store().refreshTokens.consume(otherFamily.tokenHash, clock())).toBe(true);
    });
  });
}
