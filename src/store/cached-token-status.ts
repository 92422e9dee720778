import type { Clock } from '../clock.ts';
import type { RevocationRepository } from '../oauth/model/revocations.ts';
import type { ChangeNotices } from './change-notices.ts';
import { type NoticeCacheOptions, noticeCache } from './notice-cache.ts';

type Status = Awaited<ReturnType<RevocationRepository['accessTokenStatus']>>;

/**
 * A bearer token's status (revoked? grant still active?) from memory, for the introspection and API
 * calls that repeat it for the same token all day. Every write after which an active token may not
 * be is announced after its commit with a 'grants' notice (./announced-changes.ts), which empties
 * this cache here and at every other instance; on SQLite another process's commit does too, within
 * 100 ms. While notices do not flow, an answer lives at most `degradedTtlMs`.
 */
export function cachedTokenStatus(
  repo: RevocationRepository,
  notices: ChangeNotices,
  clock: Clock,
  options: NoticeCacheOptions,
): RevocationRepository {
  const statuses = noticeCache<Status>(() => notices.healthy(), clock, options);
  notices.subscribe((notice) => {
    if (notice === 'reset' || notice.kind === 'grants') statuses.clear();
  });
  return {
    ...repo,
    accessTokenStatus(jti, grantId) {
      const key = grantId === undefined ? jti : `${jti} ${grantId}`;
      return statuses.through(key, () => repo.accessTokenStatus(jti, grantId));
    },
  };
}
