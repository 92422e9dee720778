import { describe, expect, it } from 'vitest';
import { newId } from '../../../src/crypto.ts';
import type { Contract } from '../contract.ts';

export function activityContract({ store, clock }: Contract): void {
  const minute = () => clock() - (clock() % 60_000);

  describe('console activity', () => {
    it('adds counts to what is stored (several instances), per client and minute', async () => {
      const id = newId();
      const other = newId();
      const m = minute();
      await store().activity.add([{ clientId: id, minute: m, issued: 3, rateLimited: 1 }]);
      await store().activity.add([
        { clientId: id, minute: m, issued: 2, rateLimited: 0 },
        { clientId: id, minute: m - 60_000, issued: 1, rateLimited: 1 },
        { clientId: other, minute: m, issued: 100, rateLimited: 100 },
      ]);
      expect(await store().activity.totals(id, clock() - 86_400_000)).toEqual({ issued: 6, rateLimited: 2 });
      expect(await store().activity.totals(newId(), 0)).toEqual({ issued: 0, rateLimited: 0 });
    });

    it('counts a bucket when its minute overlaps the window', async () => {
      const id = newId();
      const m = minute();
      await store().activity.add([
        { clientId: id, minute: m - 120_000, issued: 1, rateLimited: 0 },
        { clientId: id, minute: m - 60_000, issued: 10, rateLimited: 0 },
      ]);
      expect(await store().activity.totals(id, m - 60_000 + 1)).toEqual({ issued: 10, rateLimited: 0 });
      expect(await store().activity.totals(id, m - 60_000 * 2 + 1)).toEqual({ issued: 11, rateLimited: 0 });
    });

    it('writes large batches, forgets a deleted client, and prunes old buckets', async () => {
      const id = newId();
      const m = minute();
      const rows = Array.from({ length: 450 }, (_, i) => ({
        clientId: id,
        minute: m - i * 60_000,
        issued: 1,
        rateLimited: 0,
      }));
      await store().activity.add(rows);
      expect((await store().activity.totals(id, 0)).issued).toBe(450);
      await store().activity.prune(m - 99 * 60_000);
      expect((await store().activity.totals(id, 0)).issued).toBe(100);
      await store().activity.deleteForClient(id);
      expect(await store().activity.totals(id, 0)).toEqual({ issued: 0, rateLimited: 0 });
    });
  });
}
