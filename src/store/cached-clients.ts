import type { Clock } from '../clock.ts';
import type { Client, ClientRepository, ClientSecret } from '../oauth/model/clients.ts';
import type { ChangeNotices } from './change-notices.ts';
import { type NoticeCacheOptions, noticeCache } from './notice-cache.ts';

/**
 * The token endpoint's two reads (the client, its secret hashes) from memory. A 'client' notice
 * drops the entry: every write is announced after its commit, here and at every other instance
 * (./announced-changes.ts); on SQLite a commit by any other connection (the CLI, another process)
 * drops everything. Unknown ids are not cached (a flood of made-up ids must not fill the cache, and a
 * client created elsewhere is found at once). A secret's own expiry is checked by the caller at use
 * time from the row, so expiry by the clock needs no notice.
 */
export function cachedClients(
  repo: ClientRepository,
  notices: ChangeNotices,
  clock: Clock,
  options: NoticeCacheOptions,
): ClientRepository {
  const clients = noticeCache<Client>(() => notices.healthy(), clock, options);
  const secrets = noticeCache<ClientSecret[]>(() => notices.healthy(), clock, options);
  notices.subscribe((notice) => {
    if (notice === 'reset') {
      clients.clear();
      secrets.clear();
    } else if (notice.kind === 'client') {
      clients.drop(notice.id);
      secrets.drop(notice.id);
    }
  });

  return {
    ...repo,
    find: (id) => clients.through(id, () => repo.find(id)),
    secrets: (clientId) => secrets.through(clientId, () => repo.secrets(clientId)),
    async touchSecret(id, at) {
      await repo.touchSecret(id, at);
      // "Last used" is informational: update this instance's copy, tell no one.
      secrets.rewrite((rows) => {
        const i = rows.findIndex((s) => s.id === id);
        return i < 0 ? rows : rows.with(i, { ...rows[i]!, lastUsedAt: at });
      });
    },
  };
}
