import { RateLimiterCluster, RateLimiterClusterMaster, RateLimiterRes } from 'rate-limiter-flexible';
import type { Clock } from '../clock.ts';
import { memoryRateLimiter, type RateDecision, type RateLimiter } from './index.ts';

/**
 * `latchkey serve --workers N` without Redis: the workers count in the primary's memory
 * (rate-limiter-flexible's cluster limiter, over node:cluster's IPC), so a limit holds for the server
 * as a whole, not once per worker. The primary calls `countForWorkers()` before it forks.
 *
 * Should the primary not answer within a second, the worker counts that hit in its own memory: a
 * request is never held up or refused because of the limiter itself.
 */
export function countForWorkers(): void {
  new RateLimiterClusterMaster();
}

export function clusterRateLimiter(clock: Clock): RateLimiter {
  const local = memoryRateLimiter(clock);
  // The primary keeps one counter table per (limit, window): rate-limiter-flexible fixes both per limiter.
  const limiters = new Map<string, RateLimiterCluster>();
  const limiter = (limit: number, windowMs: number): RateLimiterCluster => {
    const keyPrefix = `${limit}/${windowMs}`;
    let found = limiters.get(keyPrefix);
    if (!found) {
      found = new RateLimiterCluster({
        keyPrefix,
        points: limit,
        duration: windowMs / 1000,
        timeoutMs: 1000,
      });
      limiters.set(keyPrefix, found);
    }
    return found;
  };
  const decide = (res: RateLimiterRes, limit: number, allowed: boolean): RateDecision => ({
    allowed,
    retryAfter: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
    remaining: Math.max(0, limit - res.consumedPoints),
  });

  return {
    async hit(key, limit, windowMs) {
      try {
        return decide(await limiter(limit, windowMs).consume(key), limit, true);
      } catch (outcome) {
        // Over the limit: rejected with the counter. Otherwise the primary did not answer.
        if (outcome instanceof RateLimiterRes) return decide(outcome, limit, false);
        return local.hit(key, limit, windowMs);
      }
    },
    peek(checks, windowMs) {
      return Promise.all(
        checks.map(async ({ key, limit }) => {
          try {
            const res = await limiter(limit, windowMs).get(key);
            if (!res) return { allowed: true, retryAfter: Math.ceil(windowMs / 1000), remaining: limit };
            return decide(res, limit, res.consumedPoints < limit);
          } catch {
            return (await local.peek([{ key, limit }], windowMs))[0]!;
          }
        }),
      );
    },
    async undo(key, windowMs) {
      // Every limit with this window may hold the key; a counter never goes below zero.
      for (const [keyPrefix, found] of limiters) {
        if (!keyPrefix.endsWith(`/${windowMs}`)) continue;
        try {
          const res = await found.get(key);
          if (res && res.consumedPoints > 0) await found.reward(key, 1);
        } catch {
          // The primary did not answer: the hit was counted there, or locally below.
        }
      }
      await local.undo(key, windowMs);
    },
    async close() {},
  };
}
