import { describe, expect, it } from 'vitest';
import { newId } from '../../../src/crypto.ts';
import type { Contract } from '../contract.ts';

export function accountsContract({ store, clock, tenant }: Contract): void {
  describe('accounts', () => {
    it('round-trips organizations and counts them', async () => {
      const before = await store().accounts.countOrganizations();
      const org = await store().accounts.createOrganization('Acme GmbH');
      expect(org.createdAt).toBe(clock());
      expect(await store().accounts.findOrganization(org.id)).toEqual(org);
      expect(await store().accounts.findOrganization(newId())).toBeUndefined();
      expect(await store().accounts.countOrganizations()).toBe(before + 1);
    });

    it('stores emails normalized and finds them whatever the case', async () => {
      const local = newId();
      const user = await store().accounts.createUser(` ${local}@Example.COM `, 'hash');
      expect(user.email).toBe(`${local}@example.com`);
      expect(await store().accounts.findUserByEmail(`${local.toUpperCase()}@EXAMPLE.com`)).toEqual(user);
      expect(await store().accounts.findUser(user.id)).toEqual(user);
      await expect(store().accounts.createUser(`${local}@EXAMPLE.com`, 'other')).rejects.toThrow();
    });

    it('finds several users by id, ignoring unknown ones', async () => {
      const a = await tenant();
      const b = await tenant();
      const found = await store().accounts.findUsers([a.userId, b.userId, newId()]);
      expect(found.map((u) => u.email).sort()).toEqual([a.email, b.email].sort());
      expect(await store().accounts.findUsers([])).toEqual([]);
    });

    it('lists memberships by organization name, the same on every database', async () => {
      const user = await store().accounts.createUser(`${newId()}@example.com`, 'hash');
      for (const name of ['beta', 'AT GmbH', 'Alpha']) {
        const org = await store().accounts.createOrganization(name);
        await store().accounts.addMembership(org.id, user.id, 'member');
      }
      const names = (await store().accounts.memberships(user.id)).map((m) => m.orgName);
      expect(names).toEqual(['Alpha', 'AT GmbH', 'beta']);
    });

    it('changes a role by adding the membership again', async () => {
      const t = await tenant();
      await store().accounts.addMembership(t.orgId, t.userId, 'member');
      expect(await store().accounts.memberships(t.userId)).toEqual([
        { orgId: t.orgId, orgName: expect.any(String), role: 'member' },
      ]);
    });

    it("names an organization's admins, sorted, and nobody else's", async () => {
      const t = await tenant();
      const other = await tenant();
      const second = await store().accounts.createUser(`A-${newId()}@example.com`, 'hash');
      const member = await store().accounts.createUser(`${newId()}@example.com`, 'hash');
      await store().accounts.addMembership(t.orgId, second.id, 'admin');
      await store().accounts.addMembership(t.orgId, member.id, 'member');
      // The other organization's admin is an admin here only as a member.
      await store().accounts.addMembership(t.orgId, other.userId, 'member');
      const admins = await store().accounts.adminEmails(t.orgId);
      expect(admins).toEqual([t.email, second.email].sort((x, y) => x.localeCompare(y, 'en')));
      expect(await store().accounts.adminEmails(other.orgId)).toEqual([other.email]);
    });
  });
}
