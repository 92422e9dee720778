import type { Clock } from '../clock.ts';
import type { ChangeNotices } from '../store/change-notices.ts';
import type { SharedRedis } from '../store/redis.ts';
import { memoryRateLimiter, type RateDecision, type RateLimiter } from './index.ts';
import { countedKeys, leaseSize, leases } from './shared-counts.ts';

/**
 * Fixed-window counters in Redis, shared by every instance behind a load balancer. The window start
 * comes from the injected clock, so all instances (and tests) agree on window boundaries; keys
 * expire with their window.
 *
 * Two things keep Redis off the path of most requests (./shared-counts.ts):
 * - a high limit is counted in leases: one INCRBY claims a block of counts that this instance then
 *   spends in memory, so a limit of 6,000 a minute costs one round trip per 60 tokens;
 * - a peek (the failure counts read before every client authentication) is answered here when no
 *   instance has counted anything under those keys in this window, which every instance announces
 *   through the change notices the first time it does.
 *
 * While Redis is unreachable this instance counts in memory (limits hold per instance instead of
 * across them) and goes back to Redis once it answers again (see SharedRedis).
 */
const hitScript = `local n = redis.call('INCRBY', KEYS[1], ARGV[2])
if n == tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`;

const undoScript = `local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then redis.call('DECR', KEYS[1]) end
return n`;

type HitCommand = {
  latchkeyHit(key: string, ttlMs: number, count: number): Promise<number>;
  latchkeyUndo(key: string): Promise<number>;
};

export function redisRateLimiter(
  redis: SharedRedis,
  clock: Clock,
  notices: ChangeNotices,
  prefix = `${redis.prefix}rl:`,
): RateLimiter {
  // EVALSHA, with the script loaded by ioredis on first use (and again after a Redis restart).
  redis.client.defineCommand('latchkeyHit', { numberOfKeys: 1, lua: hitScript });
  redis.client.defineCommand('latchkeyUndo', { numberOfKeys: 1, lua: undoScript });
  const script = (r: unknown) => r as HitCommand;
  const local = memoryRateLimiter(clock);
  const counted = countedKeys(notices, clock);
  const held = leases(clock);

  const windowKey = (key: string, windowMs: number): { name: string; start: number } => {
    const now = clock();
    const start = now - (now % windowMs);
    return { name: `${key}:${windowMs}:${start}`, start };
  };
  const decide = (
    count: number,
    start: number,
    limit: number,
    windowMs: number,
    allowed: boolean,
  ): RateDecision => ({
    allowed,
    retryAfter: Math.max(1, Math.ceil((start + windowMs - clock()) / 1000)),
    remaining: Math.max(0, limit - count),
  });

  /** Adds `count` to the shared counter; undefined when Redis does not answer. */
  const add = (name: string, count: number, windowMs: number): Promise<number | undefined> =>
    redis.use(
      async (r) => {
        const total = Number(await script(r).latchkeyHit(`${prefix}${name}`, windowMs + 1000, count));
        // The window's first count under this key: every instance's peeks must now ask Redis.
        if (total === count) counted.announce(name);
        return total;
      },
      () => undefined,
    );

  return {
    async hit(key, limit, windowMs) {
      const { name, start } = windowKey(key, windowMs);
      const block = leaseSize(limit);
      if (block === 1) {
        // A low limit is counted exactly, one INCR a hit.
        const total = await add(name, 1, windowMs);
        if (total === undefined) return local.hit(key, limit, windowMs);
        return decide(total, start, limit, windowMs, total <= limit);
      }
      const taken = await held.take(name, async () => {
        const total = await add(name, block, windowMs);
        if (total === undefined) return undefined;
        // The counts of this block still under the limit are ours to spend (none: the limit is reached).
        return { granted: Math.min(block, Math.max(0, limit - (total - block))), total };
      });
      if (taken === undefined) return local.hit(key, limit, windowMs);
      return decide(taken.total, start, limit, windowMs, taken.allowed);
    },
    async peek(checks, windowMs) {
      const windows = checks.map((c) => windowKey(c.key, windowMs));
      // Nothing counted under any of these keys in this window, by any instance: all are at zero.
      if (windows.every((w) => counted.surelyZero(w.name, w.start))) {
        return checks.map(({ limit }, i) => decide(0, windows[i]!.start, limit, windowMs, limit > 0));
      }
      const hearing = counted.hearing();
      return redis.use(
        async (r) => {
          // One MGET for all: a client authentication reads two failure counts.
          const counts = await r.mget(windows.map((w) => `${prefix}${w.name}`));
          return checks.map(({ limit }, i) => {
            const count = Number(counts[i] ?? 0);
            if (count === 0) counted.sawZero(windows[i]!.name, hearing);
            // Counts this instance holds unspent were claimed, not used.
            const allowed = count < limit || held.spare(windows[i]!.name) > 0;
            return decide(count, windows[i]!.start, limit, windowMs, allowed);
          });
        },
        () => local.peek(checks, windowMs),
      );
    },
    async undo(key, windowMs) {
      const { name } = windowKey(key, windowMs);
      // A leased count goes back to the lease; a counted one to Redis.
      if (held.giveBack(name)) return;
      await redis.use(
        async (r) => {
          // Never below zero, and never a key the window has not made (a DECR would make one at -1).
          await script(r).latchkeyUndo(`${prefix}${name}`);
        },
        () => local.undo(key, windowMs),
      );
    },
    sharedState: () => redis.state(),
    async close() {
      counted.close();
    },
  };
}
