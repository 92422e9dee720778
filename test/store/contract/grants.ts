import { describe, expect, it } from 'vitest';
import { newId, sha256 } from '../../../src/crypto.ts';
import type { Contract, Tenant } from '../contract.ts';

export function grantsContract({ store, clock, tenant }: Contract): void {
  const grant = (t: Tenant, scope = 'read', orgId = t.orgId) =>
    store().grants.create({ clientId: t.clientId, userId: t.userId, orgId, scope }, clock());
  const refreshToken = async (t: Tenant, grantId: string) => {
    const tokenHash = sha256(newId());
    await store().refreshTokens.create({
      tokenHash,
      familyId: newId(),
      clientId: t.clientId,
      grantId,
      userId: t.userId,
      orgId: t.orgId,
      scope: 'read',
      createdAt: clock(),
      expiresAt: clock() + 60_000,
      familyExpiresAt: clock() + 120_000,
    });
    return tokenHash;
  };

  describe('grants', () => {
    it('round-trips a grant and records its use', async () => {
      const t = await tenant();
      const g = await grant(t);
      expect(await store().grants.find(g.id)).toEqual({ ...g, lastUsedAt: null, revokedAt: null });
      expect(await store().grants.isActive(g.id)).toBe(true);
      expect(await store().grants.isActive(newId())).toBe(false);
      clock.advance(1000);
      await store().grants.touch(g.id, clock());
      expect((await store().grants.find(g.id))!.lastUsedAt).toBe(clock());
    });

    it('revokes every active grant of one client, in every organization, with their refresh tokens', async () => {
      const t = await tenant();
      const other = await tenant();
      const here = await grant(t);
      const elsewhere = await grant(t, 'read', other.orgId);
      const earlier = await grant(t);
      await store().grants.revoke(earlier.id, clock() - 1);
      const theirs = await grant(other);
      const token = await refreshToken(t, elsewhere.id);
      clock.advance(1000);
      const revoked = await store().grants.revokeClientGrants(t.clientId, clock());
      expect(revoked.map((g) => g.id).sort()).toEqual([here.id, elsewhere.id].sort());
      expect(revoked.every((g) => g.revokedAt === clock())).toBe(true);
      expect(await store().grants.isActive(here.id)).toBe(false);
      expect(await store().grants.isActive(elsewhere.id)).toBe(false);
      expect((await store().grants.find(earlier.id))!.revokedAt).toBe(clock() - 1001);
      expect((await store().refreshTokens.find(token))!.revokedAt).toBe(clock());
      expect(await store().grants.isActive(theirs.id)).toBe(true);
      expect(await store().grants.revokeClientGrants(t.clientId, clock())).toEqual([]);
    });

    it('gives grants ids that sort in the order they were made (new ones at the index edge)', async () => {
      const t = await tenant();
      const ids: string[] = [];
      for (let i = 0; i < 30; i++) ids.push((await grant(t)).id);
      expect([...ids].sort()).toEqual(ids);
      for (const id of ids)
        expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    });

    it('revokes a grant with its refresh tokens, and nothing else', async () => {
      const t = await tenant();
      const g = await grant(t);
      const kept = await grant(t);
      const token = await refreshToken(t, g.id);
      const other = await refreshToken(t, kept.id);
      expect(await store().revocations.accessTokenStatus(newId(), g.id)).toMatchObject({ grantActive: true });
      await store().grants.revoke(g.id, clock());
      expect(await store().grants.isActive(g.id)).toBe(false);
      expect(await store().revocations.accessTokenStatus(newId(), g.id)).toEqual({
        revoked: false,
        grantActive: false,
      });
      expect((await store().refreshTokens.find(token))!.revokedAt).toBe(clock());
      expect(await store().refreshTokens.consume(token, clock())).toBe(false);
      expect((await store().refreshTokens.find(other))!.revokedAt).toBeNull();
      expect((await store().grants.activeFor(t.userId, t.clientId)).map((x) => x.id)).toEqual([kept.id]);
    });

    it("revokes one connection in one organization, never another organization's", async () => {
      const t = await tenant();
      const elsewhere = await store().accounts.createOrganization('Elsewhere');
      const here = [await grant(t), await grant(t)];
      const there = await grant(t, 'read', elsewhere.id);
      const token = await refreshToken(t, here[0]!.id);
      const connection = { clientId: t.clientId, userId: t.userId, orgId: t.orgId };
      expect(await store().grants.revokeConnection(connection, clock())).toBe(2);
      expect(await store().grants.revokeConnection(connection, clock())).toBe(0);
      expect(await store().refreshTokens.consume(token, clock())).toBe(false);
      expect(await store().grants.isActive(there.id)).toBe(true);
    });

    it('lists connections per person and client, merging scopes, only in the organization asked', async () => {
      const t = await tenant();
      const second = await store().accounts.createUser(`${newId()}@example.com`, 'hash');
      const first = await grant(t, 'read');
      clock.advance(1000);
      const later = await grant(t, 'write read');
      await store().grants.touch(first.id, clock() + 5);
      await store().grants.create(
        { clientId: t.clientId, userId: second.id, orgId: t.orgId, scope: 'read' },
        clock(),
      );
      const revoked = await store().grants.create(
        { clientId: t.clientId, userId: second.id, orgId: t.orgId, scope: 'admin' },
        clock(),
      );
      await store().grants.revoke(revoked.id, clock());

      const all = await store().grants.connections({ orgId: t.orgId });
      expect(all.map((c) => c.email)).toEqual([t.email, second.email].sort((a, b) => a.localeCompare(b)));
      const mine = await store().grants.connections({ orgId: t.orgId, userId: t.userId });
      expect(mine).toEqual([
        {
          clientId: t.clientId,
          clientName: 'Client',
          selfRegistered: false,
          userId: t.userId,
          email: t.email,
          orgId: t.orgId,
          scopes: ['read', 'write'],
          connectedAt: first.createdAt,
          lastUsedAt: clock() + 5,
        },
      ]);
      expect(later.createdAt).toBe(clock());
      const other = await tenant();
      expect(await store().grants.connections({ orgId: other.orgId })).toEqual([]);
    });
  });
}
