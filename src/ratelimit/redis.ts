import type { Clock } from '../clock.ts';
import type { SharedRedis } from '../store/redis.ts';
import { memoryRateLimiter, type RateDecision, type RateLimiter } from './index.ts';

/**
 * Fixed-window counters in Redis, shared by every instance behind a load balancer. The window start
 * comes from the injected clock, so all instances (and tests) agree on window boundaries; keys
 * expire with their window.
 *
 * While Redis is unreachable this instance counts in memory (limits hold per instance instead of
 * across them) and goes back to Redis once it answers again (see SharedRedis).
 */
const hitScript = `local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`;

const undoScript = `local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then redis.call('DECR', KEYS[1]) end
return n`;

type HitCommand = {
  latchkeyHit(key: string, ttlMs: number): Promise<number>;
  latchkeyUndo(key: string): Promise<number>;
};

export function redisRateLimiter(
  redis: SharedRedis,
  clock: Clock,
  prefix = `${redis.prefix}rl:`,
): RateLimiter {
  // EVALSHA, with the script loaded by ioredis on first use (and again after a Redis restart).
  redis.client.defineCommand('latchkeyHit', { numberOfKeys: 1, lua: hitScript });
  redis.client.defineCommand('latchkeyUndo', { numberOfKeys: 1, lua: undoScript });
  const local = memoryRateLimiter(clock);

  const windowKey = (key: string, windowMs: number): { redisKey: string; start: number } => {
    const now = clock();
    const start = now - (now % windowMs);
    return { redisKey: `${prefix}${key}:${windowMs}:${start}`, start };
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

  return {
    hit: (key, limit, windowMs) =>
      redis.use(
        async (r) => {
          const { redisKey, start } = windowKey(key, windowMs);
          // One script, one round trip: INCR, and the expiry set by the first hit of the window.
          const count = Number(await (r as unknown as HitCommand).latchkeyHit(redisKey, windowMs + 1000));
          return decide(count, start, limit, windowMs, count <= limit);
        },
        () => local.hit(key, limit, windowMs),
      ),
    peek: (checks, windowMs) =>
      redis.use(
        async (r) => {
          const windows = checks.map((c) => windowKey(c.key, windowMs));
          // One MGET for all: a client authentication reads two failure counts on every request.
          const counts = await r.mget(windows.map((w) => w.redisKey));
          return checks.map(({ limit }, i) => {
            const count = Number(counts[i] ?? 0);
            return decide(count, windows[i]!.start, limit, windowMs, count < limit);
          });
        },
        () => local.peek(checks, windowMs),
      ),
    undo: (key, windowMs) =>
      redis.use(
        async (r) => {
          // Never below zero, and never a key the window has not made (a DECR would make one at -1).
          await (r as unknown as HitCommand).latchkeyUndo(windowKey(key, windowMs).redisKey);
        },
        () => local.undo(key, windowMs),
      ),
    sharedState: () => redis.state(),
    // The connection belongs to the services, which close it.
    async close() {},
  };
}
