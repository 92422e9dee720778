import { describe, expect, it } from 'vitest';
import { sha256 } from '../../../src/crypto.ts';
import type { Contract } from '../contract.ts';

export function sessionsAndRequestsContract({ store, clock, tenant }: Contract): void {
  describe('sessions', () => {
    it('round-trip by cookie value, stored only as its hash', async () => {
      const t = await tenant();
      const { id, session } = await store().sessions.create(t.userId, t.orgId, 3600);
      expect(session).toMatchObject({
        userId: t.userId,
        activeOrgId: t.orgId,
        expiresAt: clock() + 3_600_000,
      });
      expect(await store().sessions.find(id)).toEqual(session);
      const rows = await store().rows('sessions');
      expect(rows.some((r) => r.id_hash === id)).toBe(false);
      expect(rows.some((r) => r.id_hash === sha256(id))).toBe(true);
      await store().sessions.setActiveOrg(id, 'another');
      expect((await store().sessions.find(id))!.activeOrgId).toBe('another');
    });

    it('expire by the clock, and are pruned then', async () => {
      const t = await tenant();
      const { id } = await store().sessions.create(t.userId, null, 60);
      clock.advance(59_999);
      expect(await store().sessions.find(id)).toBeDefined();
      clock.advance(1);
      expect(await store().sessions.find(id)).toBeUndefined();
      expect(await store().sessions.prune()).toBeGreaterThanOrEqual(1);
      expect(await store().sessions.prune()).toBe(0);
    });

    it("end one at a time or all of a person's, never another person's", async () => {
      const a = await tenant();
      const b = await tenant();
      const first = await store().sessions.create(a.userId, null, 60);
      const second = await store().sessions.create(a.userId, null, 60);
      const theirs = await store().sessions.create(b.userId, null, 60);
      await store().sessions.delete(first.id);
      expect(await store().sessions.find(first.id)).toBeUndefined();
      expect(await store().sessions.find(second.id)).toBeDefined();
      await store().sessions.deleteForUser(a.userId);
      expect(await store().sessions.find(second.id)).toBeUndefined();
      expect(await store().sessions.find(theirs.id)).toBeDefined();
    });
  });

  describe('authorization requests', () => {
    const pending = (clientId: string, ttl = 600_000) => ({
      clientId,
      redirectUri: 'https://app.example/cb',
      redirectUriSent: true,
      scope: 'read write',
      state: null,
      codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      prompt: 'consent',
      createdAt: clock(),
      expiresAt: clock() + ttl,
    });

    it('round-trip until they expire', async () => {
      const t = await tenant();
      const request = await store().authorizationRequests.create(pending(t.clientId));
      expect(await store().authorizationRequests.find(request.id, clock())).toEqual(request);
      const plain = await store().authorizationRequests.create({
        ...pending(t.clientId),
        redirectUriSent: false,
      });
      expect((await store().authorizationRequests.find(plain.id, clock()))!.redirectUriSent).toBe(false);
      expect(await store().authorizationRequests.find(request.id, request.expiresAt)).toBeUndefined();
    });

    it('are taken once: of racing takes exactly one wins', async () => {
      const t = await tenant();
      const request = await store().authorizationRequests.create(pending(t.clientId));
      const takes = await Promise.all([1, 2, 3].map(() => store().authorizationRequests.take(request.id)));
      expect(takes.filter(Boolean)).toHaveLength(1);
      expect(await store().authorizationRequests.find(request.id, clock())).toBeUndefined();
    });

    it('are pruned once expired, and only then', async () => {
      const t = await tenant();
      const old = await store().authorizationRequests.create(pending(t.clientId, -1));
      const live = await store().authorizationRequests.create(pending(t.clientId));
      await store().authorizationRequests.prune(clock());
      expect(await store().authorizationRequests.take(old.id)).toBe(false);
      expect(await store().authorizationRequests.take(live.id)).toBe(true);
    });
  });
}
