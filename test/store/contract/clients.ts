import { describe, expect, it } from 'vitest';
import { newId, sha256 } from '../../../src/crypto.ts';
import type { NewClient } from '../../../src/oauth/model/clients.ts';
import type { Contract } from '../contract.ts';

export function clientsContract({ store, clock, tenant }: Contract): void {
  const newClient = (orgId: string | null, overrides: Partial<NewClient> = {}): NewClient => ({
    id: newId(),
    orgId,
    name: 'Business Central',
    redirectUris: ['https://bc.example/cb', 'http://localhost:3000/cb'],
    grantTypes: ['client_credentials'],
    scopes: ['invoices:read', 'invoices:write'],
    isPublic: true,
    pkceOptional: true,
    createdBy: null,
    ...overrides,
  });
  const secret = (clientId: string, createdAt: number, expiresAt: number | null = null) => ({
    id: newId(),
    clientId,
    secretHash: sha256(newId()),
    hint: 'x7Qa',
    createdAt,
    expiresAt,
    createdBy: 'cli',
  });

  describe('clients', () => {
    it('round-trips a client: lists, booleans and timestamps come back as given', async () => {
      const t = await tenant();
      const created = await store().clients.create(newClient(t.orgId));
      expect(created.createdAt).toBe(clock());
      expect(await store().clients.find(created.id)).toEqual(created);
      expect(await store().clients.find(newId())).toBeUndefined();
      const confidential = await store().clients.create(
        newClient(t.orgId, { isPublic: false, pkceOptional: false }),
      );
      expect(await store().clients.find(confidential.id)).toMatchObject({
        isPublic: false,
        pkceOptional: false,
      });
      const many = await store().clients.findMany([created.id, confidential.id, newId()]);
      expect(many.map((c) => c.id).sort()).toEqual([created.id, confidential.id].sort());
      expect(await store().clients.findMany([])).toEqual([]);
    });

    it("lists one organization's clients newest first, never another's", async () => {
      const t = await tenant();
      const other = await tenant();
      clock.advance(1000);
      const newer = await store().clients.create(newClient(t.orgId));
      expect((await store().clients.list(t.orgId)).map((c) => c.id)).toEqual([newer.id, t.clientId]);
      expect((await store().clients.list(other.orgId)).map((c) => c.id)).toEqual([other.clientId]);
      const all = (await store().clients.list()).map((c) => c.id);
      expect(all).toEqual(expect.arrayContaining([newer.id, t.clientId, other.clientId]));
    });

    it('updates only the fields given, and the update time', async () => {
      const t = await tenant();
      clock.advance(5000);
      await store().clients.update(t.clientId, { name: 'Renamed', pkceOptional: true });
      const c = await store().clients.find(t.clientId);
      expect(c).toMatchObject({ name: 'Renamed', pkceOptional: true, scopes: ['read'], updatedAt: clock() });
      expect(c!.createdAt).toBe(clock() - 5000);
    });

    it('blocks a client once, keeping the first time', async () => {
      const t = await tenant();
      const blockedAt = clock();
      expect(await store().clients.block(t.clientId, blockedAt)).toBe(true);
      expect(await store().clients.find(t.clientId)).toMatchObject({ blockedAt, updatedAt: blockedAt });
      clock.advance(1000);
      expect(await store().clients.block(t.clientId, clock())).toBe(false);
      expect((await store().clients.find(t.clientId))!.blockedAt).toBe(blockedAt);
      expect(await store().clients.block(newId(), clock())).toBe(false);
    });

    it("keeps software of no organization apart: its own page, in no organization's", async () => {
      const t = await tenant();
      const ownerless = await store().clients.create(
        newClient(null, {
          origin: 'dynamic',
          softwareMetadata: { client_uri: 'https://agent.example', contacts: ['ops@agent.example'] },
        }),
      );
      expect(await store().clients.find(ownerless.id)).toEqual(ownerless);
      expect(ownerless).toMatchObject({ orgId: null, origin: 'dynamic', blockedAt: null });
      const none = (await store().clients.page(null, { limit: 100 })).items.map((c) => c.id);
      expect(none).toContain(ownerless.id);
      expect(none).not.toContain(t.clientId);
      const theirs = (await store().clients.page(t.orgId, { limit: 100 })).items.map((c) => c.id);
      expect(theirs).toEqual([t.clientId]);
    });

    it('keeps secrets newest first, several clients at once, and records their use', async () => {
      const a = await tenant();
      const b = await tenant();
      const first = secret(a.clientId, clock() - 2000);
      const second = secret(a.clientId, clock() - 1000, clock() + 60_000);
      const theirs = secret(b.clientId, clock());
      for (const s of [first, second, theirs]) await store().clients.addSecret(s);
      expect(await store().clients.secrets(a.clientId)).toEqual([
        { ...second, lastUsedAt: null },
        { ...first, lastUsedAt: null },
      ]);
      const both = await store().clients.secretsOf([a.clientId, b.clientId]);
      expect(both.map((s) => s.id)).toEqual([theirs.id, second.id, first.id]);
      expect(await store().clients.secretsOf([])).toEqual([]);
      await store().clients.touchSecret(first.id, clock());
      expect((await store().clients.secrets(a.clientId))[1]!.lastUsedAt).toBe(clock());
    });

    it('expires every other secret, never extending an earlier expiry', async () => {
      const t = await tenant();
      const open = secret(t.clientId, clock() - 3000);
      const soon = secret(t.clientId, clock() - 2000, clock() + 10_000);
      const later = secret(t.clientId, clock() - 1000, clock() + 900_000);
      const kept = secret(t.clientId, clock());
      for (const s of [open, soon, later, kept]) await store().clients.addSecret(s);
      await store().clients.expireSecrets(t.clientId, clock() + 60_000, kept.id);
      const byId = new Map((await store().clients.secrets(t.clientId)).map((s) => [s.id, s.expiresAt]));
      expect(byId.get(open.id)).toBe(clock() + 60_000);
      expect(byId.get(soon.id)).toBe(clock() + 10_000);
      expect(byId.get(later.id)).toBe(clock() + 60_000);
      expect(byId.get(kept.id)).toBeNull();
    });

    it('deletes a client with its secrets, grants, codes and refresh tokens', async () => {
      const t = await tenant();
      await store().clients.addSecret(secret(t.clientId, clock()));
      const grant = await store().grants.create(
        { clientId: t.clientId, userId: t.userId, orgId: t.orgId, scope: 'read' },
        clock(),
      );
      const code = sha256(newId());
      await store().codes.create({
        codeHash: code,
        clientId: t.clientId,
        grantId: grant.id,
        userId: t.userId,
        orgId: t.orgId,
        redirectUri: 'https://app.example/cb',
        redirectUriSent: true,
        scope: 'read',
        codeChallenge: null,
        expiresAt: clock() + 60_000,
        createdAt: clock(),
      });
      const token = sha256(newId());
      await store().refreshTokens.create({
        tokenHash: token,
        familyId: newId(),
        clientId: t.clientId,
        grantId: grant.id,
        userId: t.userId,
        orgId: t.orgId,
        scope: 'read',
        createdAt: clock(),
        expiresAt: clock() + 60_000,
        familyExpiresAt: clock() + 120_000,
      });
      expect(await store().clients.delete(t.clientId)).toBe(true);
      expect(await store().clients.delete(t.clientId)).toBe(false);
      expect(await store().clients.find(t.clientId)).toBeUndefined();
      expect(await store().clients.secrets(t.clientId)).toEqual([]);
      expect(await store().grants.find(grant.id)).toBeUndefined();
      expect(await store().codes.find(code)).toBeUndefined();
      expect(await store().refreshTokens.find(token)).toBeUndefined();
    });
  });
}
