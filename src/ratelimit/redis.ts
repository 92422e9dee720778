import { Redis } from 'ioredis';
import type { Clock } from '../clock.ts';
import type { RateDecision, RateLimiter } from './index.ts';

/**
 * Fixed-window counters in Redis, shared by every instance behind a load balancer. The window start
 * comes from the injected clock, so all instances (and tests) agree on window boundaries; keys
 * expire with their window.
 */
export function redisRateLimiter(url: string, clock: Clock, prefix = 'latchkey:rl:'): RateLimiter {
  const redis = new Redis(url, { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: false });

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
    async hit(key, limit, windowMs) {
      const { redisKey, start } = windowKey(key, windowMs);
      const results = await redis
        .multi()
        .incr(redisKey)
        .pexpire(redisKey, windowMs + 1000)
        .exec();
      const count = Number(results?.[0]?.[1] ?? 0);
      return decide(count, start, limit, windowMs, count <= limit);
    },
    async peek(key, limit, windowMs) {
      const { redisKey, start } = windowKey(key, windowMs);
      const count = Number((await redis.get(redisKey)) ?? 0);
      return decide(count, start, limit, windowMs, count < limit);
    },
    async close() {
      await redis.quit();
    },
  };
}
