import { describe, expect, it } from 'vitest';
import { newId } from '../../../src/crypto.ts';
import type { Contract } from '../contract.ts';

export function auditContract({ store, clock, tenant }: Contract): void {
  describe('audit', () => {
    it('round-trips an event with its detail and the time from the clock', async () => {
      const t = await tenant();
      await store().audit.record({
        orgId: t.orgId,
        actor: t.userId,
        clientId: t.clientId,
        action: 'client.updated',
        detail: { name: 'Renamed', uris: ['https://a.example'] },
      });
      expect(await store().audit.list({ orgId: t.orgId })).toEqual([
        {
          id: expect.any(String),
          orgId: t.orgId,
          actor: t.userId,
          clientId: t.clientId,
          action: 'client.updated',
          detail: { name: 'Renamed', uris: ['https://a.example'] },
          createdAt: clock(),
        },
      ]);
    });

    it('lists newest first, ties in one stable order, and filters by client, action, time and limit', async () => {
      const t = await tenant();
      const other = newId();
      const at = (action: string, clientId: string | null) =>
        store().audit.record({ orgId: t.orgId, actor: 'cli', clientId, action, detail: {} });
      await at('client.created', t.clientId);
      clock.advance(1000);
      const since = clock();
      // Three events in the same millisecond.
      await at('client.updated', t.clientId);
      await at('client.auth_failed', t.clientId);
      await at('client.deleted', other);
      clock.advance(1000);

      const all = await store().audit.list({ orgId: t.orgId });
      expect(all.map((e) => e.action).at(-1)).toBe('client.created');
      const tied = all.slice(0, 3).map((e) => e.id);
      expect(tied).toEqual([...tied].sort());

      const byClient = await store().audit.list({ clientId: t.clientId });
      expect(byClient.map((e) => e.action).sort()).toEqual([
        'client.auth_failed',
        'client.created',
        'client.updated',
      ]);
      const several = await store().audit.list({
        clientId: [t.clientId, other],
        actions: ['client.deleted'],
      });
      expect(several.map((e) => e.clientId)).toEqual([other]);
      expect(await store().audit.list({ clientId: [] })).toEqual([]);
      expect(await store().audit.list({ orgId: t.orgId, actions: [] })).toEqual([]);
      expect((await store().audit.list({ orgId: t.orgId, since })).length).toBe(3);
      expect((await store().audit.list({ orgId: t.orgId, limit: 2 })).map((e) => e.id)).toEqual(
        all.slice(0, 2).map((e) => e.id),
      );
      expect(
        await store().audit.count({ clientId: t.clientId, actions: ['client.auth_failed'], since }),
      ).toBe(1);
      expect(await store().audit.count({ clientId: t.clientId, since: clock() })).toBe(0);
    });

    it("never returns another organization's events", async () => {
      const a = await tenant();
      const b = await tenant();
      await store().audit.record({ orgId: a.orgId, actor: null, clientId: null, action: 'x', detail: {} });
      expect(await store().audit.list({ orgId: b.orgId })).toEqual([]);
      expect(await store().audit.count({ orgId: b.orgId })).toBe(0);
      expect(await store().audit.count({ orgId: a.orgId })).toBe(1);
    });
  });
}
