import type { RevocationRepository } from '../oauth/model/revocations.ts';
import type { SqliteChanges } from './sqlite-changes.ts';

type Status = Awaited<ReturnType<RevocationRepository['accessTokenStatus']>>;

interface Entry {
  status: Status;
  localWrites: number;
  otherCommits: number;
}

/**
 * A bearer token's status (revoked? grant active?) from memory on SQLite, for the introspection and
 * API calls that repeat it for the same token all day. An answer stands only while nothing was
 * written since it was read: any write by this process (a revocation, a grant revoked by a replayed
 * code, a deleted user) makes every entry stale at once, and another process's commit within 100 ms
 * (./sqlite-changes.ts). PostgreSQL has no such signal, so it is not cached there.
 */
export function cachedTokenStatus(
  repo: RevocationRepository,
  changes: SqliteChanges,
  maxEntries = 10_000,
): RevocationRepository {
  const entries = new Map<string, Entry>();
  return {
    ...repo,
    async accessTokenStatus(jti, grantId) {
      const key = grantId === undefined ? jti : `${jti} ${grantId}`;
      const localWrites = changes.localWrites();
      const otherCommits = changes.otherCommits();
      const entry = entries.get(key);
      if (entry && entry.localWrites === localWrites && entry.otherCommits === otherCommits) {
        return entry.status;
      }
      // Stamped before the read: a write while it runs leaves the entry stale, never wrong.
      const status = await repo.accessTokenStatus(jti, grantId);
      entries.delete(key);
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
      entries.set(key, { status, localWrites, otherCommits });
      return status;
    },
  };
}
