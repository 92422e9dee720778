import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import { memoryRateLimiter, type RateDecision, type RateLimiter } from './index.ts';

/**
 * Fixed-window counters in Redis, shared by every instance behind a load balancer. The window start
 * comes from the injected clock, so all instances (and tests) agree on window boundaries; keys
 * expire with their window.
 *
 * Redis is not allowed to take the token endpoint down: while it is unreachable this instance counts
 * in memory (limits hold per instance instead of across them), says so in one warning, and goes back
 * to Redis once it answers again.
 */
export function redisRateLimiter(
  url: string,
  clock: Clock,
  log: Logger,
  prefix = 'latchkey:rl:',
): RateLimiter {
  const redis = new Redis(url, {
    // Fail a command at the first lost connection instead of holding the request while reconnecting.
    maxRetriesPerRequest: 0,
    commandTimeout: 1_000,
  });
  const local = memoryRateLimiter(clock);
  let degraded = false;
  let closing = false;

  const degrade = (error: unknown): void => {
    if (degraded || closing) return;
    degraded = true;
    log.warn(
      { err: error },
      'Redis is unreachable: rate limits are counted in this instance until it returns',
    );
  };
  const recover = (): void => {
    if (!degraded) return;
    degraded = false;
    log.info('Redis is reachable again: rate limits are shared again');
  };
  redis.on('error', degrade);
  redis.on('reconnecting', () => degrade(new Error('connection to Redis lost')));
  redis.on('ready', recover);

  async function shared(op: () => Promise<RateDecision>, fallback: () => Promise<RateDecision>) {
    if (degraded && redis.status !== 'ready') return fallback();
    try {
      const decision = await op();
      recover();
      return decision;
    } catch (error) {
      degrade(error);
      return fallback();
    }
  }

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
      shared(
        async () => {
          const { redisKey, start } = windowKey(key, windowMs);
          const results = await redis
            .multi()
            .incr(redisKey)
            .pexpire(redisKey, windowMs + 1000)
            .exec();
          const failed = results?.find(([error]) => error)?.[0];
          if (failed) throw failed;
          const count = Number(results?.[0]?.[1] ?? 0);
          return decide(count, start, limit, windowMs, count <= limit);
        },
        () => local.hit(key, limit, windowMs),
      ),
    peek: (key, limit, windowMs) =>
      shared(
        async () => {
          const { redisKey, start } = windowKey(key, windowMs);
          const count = Number((await redis.get(redisKey)) ?? 0);
          return decide(count, start, limit, windowMs, count < limit);
        },
        () => local.peek(key, limit, windowMs),
      ),
    sharedState: () => (degraded ? 'degraded' : 'ok'),
    async close() {
      closing = true;
      if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
      else redis.disconnect();
    },
  };
}
