import { describe, expect, it } from 'vitest';
import { newId, sha256 } from '../../../src/crypto.ts';
import type { AuthorizationCode } from '../../../src/oauth/model/codes.ts';
import type { NewRefreshToken, RefreshToken } from '../../../src/oauth/model/refresh-tokens.ts';
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

  /** A redemption whose judgement accepts the code and plans `refreshToken`: its outcome. */
  const redeem = async (c: { codeHash: string }, at: number, refreshToken: NewRefreshToken | undefined) =>
    (await store().codes.redeem(c.codeHash, at, () => ({ refreshToken }))).outcome;
  /** A rotation whose judgement accepts the token and plans `next`: its outcome. */
  const rotate = async (old: { tokenHash: string }, at: number, next: NewRefreshToken) =>
    (await store().refreshTokens.rotate(old.tokenHash, at, () => ({ next }))).outcome;

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

    it('are redeemed in one commit: code consumed, grant touched, refresh token stored', async () => {
      const { t, grantId } = await setup();
      const c = code(t, grantId);
      await store().codes.create(c);
      clock.advance(1000);
      const r = token(t, grantId, newId());
      expect(await redeem(c, clock(), r)).toBe('redeemed');
      expect((await store().codes.find(c.codeHash))!.consumedAt).toBe(clock());
      expect((await store().grants.find(grantId))!.lastUsedAt).toBe(clock());
      expect(await store().refreshTokens.find(r.tokenHash)).toMatchObject({ ...r, consumedAt: null });
      // Without a refresh token (a client without the refresh_token grant).
      const bare = code(t, grantId);
      await store().codes.create(bare);
      expect(await redeem(bare, clock(), undefined)).toBe('redeemed');
      expect(await redeem(bare, clock(), undefined)).toBe('used');
      expect(await redeem({ codeHash: sha256('unknown') }, clock(), undefined)).toBe('unknown');
    });

    it('hand the stored code to the judgement, and its plan back with the outcome', async () => {
      const { t, grantId } = await setup();
      const c = code(t, grantId);
      await store().codes.create(c);
      const r = token(t, grantId, newId());
      const seen: AuthorizationCode[] = [];
      const plan = { refreshToken: r, note: 'kept' };
      const redeemed = await store().codes.redeem(c.codeHash, clock(), (found) => {
        seen.push(found);
        return plan;
      });
      expect(seen).toEqual([{ ...c, consumedAt: null }]);
      expect(redeemed).toEqual({ outcome: 'redeemed', code: { ...c, consumedAt: null }, plan });
      // An unknown code is not judged at all.
      const unknown = await store().codes.redeem(sha256('unknown'), clock(), () => {
        throw new Error('judged an unknown code');
      });
      expect(unknown).toEqual({ outcome: 'unknown' });
    });

    it('write nothing when the judgement refuses the code, and hand back what it threw', async () => {
      const { t, grantId } = await setup();
      const c = code(t, grantId);
      await store().codes.create(c);
      clock.advance(1000);
      const reason = new Error('wrong code_verifier');
      const refused = await store().codes.redeem(c.codeHash, clock(), () => {
        throw reason;
      });
      expect(refused).toEqual({ outcome: 'refused', code: { ...c, consumedAt: null }, reason });
      expect((await store().codes.find(c.codeHash))!.consumedAt).toBeNull();
      expect((await store().grants.find(grantId))!.lastUsedAt).toBeNull();
      // The code is still good for a redemption that passes.
      expect(await redeem(c, clock(), undefined)).toBe('redeemed');
    });

    it('are redeemed once under a race: one refresh token stored, for the one winner', async () => {
      const { t, grantId } = await setup();
      const c = code(t, grantId);
      await store().codes.create(c);
      const tokens = [1, 2, 3, 4].map(() => token(t, grantId, newId()));
      const results = await Promise.all(tokens.map((r) => redeem(c, clock(), r)));
      expect(results.filter((x) => x === 'redeemed')).toHaveLength(1);
      expect(results.filter((x) => x === 'used')).toHaveLength(3);
      const stored = await Promise.all(tokens.map((r) => store().refreshTokens.find(r.tokenHash)));
      expect(stored.filter(Boolean)).toHaveLength(1);
      expect(stored.findIndex(Boolean)).toBe(results.indexOf('redeemed'));
    });

    it('roll a redemption back entirely when a step fails: the code stays unused, the grant untouched', async () => {
      const { t, grantId } = await setup();
      const c = code(t, grantId);
      await store().codes.create(c);
      clock.advance(1000);
      // A refresh token that cannot be stored (no such client: a foreign-key violation).
      const broken = { ...token(t, grantId, newId()), clientId: newId() };
      await expect(redeem(c, clock(), broken)).rejects.toThrow();
      expect((await store().codes.find(c.codeHash))!.consumedAt).toBeNull();
      expect((await store().grants.find(grantId))!.lastUsedAt).toBeNull();
      expect(await store().refreshTokens.find(broken.tokenHash)).toBeUndefined();
      // Nothing was spent: the code can still be redeemed.
      const r = token(t, grantId, newId());
      expect(await redeem(c, clock(), r)).toBe('redeemed');
      expect(await store().refreshTokens.find(r.tokenHash)).toBeDefined();
    });

    it('spend the code but store no refresh token when the grant was revoked', async () => {
      const { t, grantId } = await setup();
      const c = code(t, grantId);
      await store().codes.create(c);
      await store().grants.revoke(grantId, clock());
      clock.advance(1000);
      const r = token(t, grantId, newId());
      expect(await redeem(c, clock(), r)).toBe('revoked');
      expect((await store().codes.find(c.codeHash))!.consumedAt).toBe(clock());
      expect((await store().grants.find(grantId))!.lastUsedAt).toBeNull();
      expect(await store().refreshTokens.find(r.tokenHash)).toBeUndefined();
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

    it('rotate in one commit: grant touched, old token consumed, next one stored', async () => {
      const { t, grantId } = await setup();
      const family = newId();
      const old = token(t, grantId, family);
      await store().refreshTokens.create(old);
      clock.advance(1000);
      const next = token(t, grantId, family);
      expect(await rotate(old, clock(), next)).toBe('rotated');
      expect((await store().refreshTokens.find(old.tokenHash))!.consumedAt).toBe(clock());
      expect((await store().grants.find(grantId))!.lastUsedAt).toBe(clock());
      expect(await store().refreshTokens.find(next.tokenHash)).toMatchObject({ ...next, consumedAt: null });
      // The old one again (a reuse): nothing stored.
      const again = token(t, grantId, family);
      expect(await rotate(old, clock(), again)).toBe('used');
      expect(await store().refreshTokens.find(again.tokenHash)).toBeUndefined();
    });

    it('hand the stored token to the judgement; a refusal writes nothing and hands back what it threw', async () => {
      const { t, grantId } = await setup();
      const family = newId();
      const old = token(t, grantId, family);
      await store().refreshTokens.create(old);
      clock.advance(1000);
      const reason = new Error('scope widened');
      const seen: RefreshToken[] = [];
      const refused = await store().refreshTokens.rotate(old.tokenHash, clock(), (found) => {
        seen.push(found);
        throw reason;
      });
      const stored = { ...old, consumedAt: null, revokedAt: null };
      expect(seen).toEqual([stored]);
      expect(refused).toEqual({ outcome: 'refused', token: stored, reason });
      expect((await store().refreshTokens.find(old.tokenHash))!.consumedAt).toBeNull();
      expect((await store().grants.find(grantId))!.lastUsedAt).toBeNull();
      const plan = { next: token(t, grantId, family) };
      expect(await store().refreshTokens.rotate(old.tokenHash, clock(), () => plan)).toEqual({
        outcome: 'rotated',
        token: stored,
        plan,
      });
      const unknown = await store().refreshTokens.rotate(sha256('unknown'), clock(), () => {
        throw new Error('judged an unknown token');
      });
      expect(unknown).toEqual({ outcome: 'unknown' });
    });

    it('rotate once under a race: one next token stored, for the one winner', async () => {
      const { t, grantId } = await setup();
      const family = newId();
      const old = token(t, grantId, family);
      await store().refreshTokens.create(old);
      const nexts = [1, 2, 3, 4].map(() => token(t, grantId, family));
      const results = await Promise.all(nexts.map((n) => rotate(old, clock(), n)));
      expect(results.filter((x) => x === 'rotated')).toHaveLength(1);
      expect(results.filter((x) => x === 'used')).toHaveLength(3);
      const stored = await Promise.all(nexts.map((n) => store().refreshTokens.find(n.tokenHash)));
      expect(stored.filter(Boolean)).toHaveLength(1);
      expect(stored.findIndex(Boolean)).toBe(results.indexOf('rotated'));
    });

    it('roll a rotation back entirely when a step fails: the old token stays usable', async () => {
      const { t, grantId } = await setup();
      const family = newId();
      const old = token(t, grantId, family);
      await store().refreshTokens.create(old);
      clock.advance(1000);
      // The next token cannot be stored: its hash is taken (a primary-key violation).
      const taken = token(t, grantId, family);
      await store().refreshTokens.create(taken);
      await expect(rotate(old, clock(), { ...taken })).rejects.toThrow();
      expect((await store().refreshTokens.find(old.tokenHash))!.consumedAt).toBeNull();
      expect((await store().grants.find(grantId))!.lastUsedAt).toBeNull();
      const next = token(t, grantId, family);
      expect(await rotate(old, clock(), next)).toBe('rotated');
    });

    it('do not rotate under a revoked grant: nothing consumed, nothing stored', async () => {
      const { t, grantId } = await setup();
      const family = newId();
      const old = token(t, grantId, family);
      await store().refreshTokens.create(old);
      await store().grants.revoke(grantId, clock());
      const next = token(t, grantId, family);
      expect(await rotate(old, clock(), next)).toBe('revoked');
      expect((await store().refreshTokens.find(old.tokenHash))!.consumedAt).toBeNull();
      expect(await store().refreshTokens.find(next.tokenHash)).toBeUndefined();
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
      await store().refreshTokens.revokeFamily(grantId, family, clock());
      expect((await store().refreshTokens.find(used.tokenHash))!.revokedAt).toBe(clock());
      expect((await store().refreshTokens.find(current.tokenHash))!.revokedAt).toBe(clock());
      expect(await store().refreshTokens.consume(current.tokenHash, clock())).toBe(false);
      expect((await store().refreshTokens.find(otherFamily.tokenHash))!.revokedAt).toBeNull();
      expect(await store().refreshTokens.consume(otherFamily.tokenHash, clock())).toBe(true);
    });
  });
}
