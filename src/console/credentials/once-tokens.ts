import { randomBytes } from 'node:crypto';
import type { Clock } from '../../clock.ts';
import type { SharedRedis } from '../../store/redis.ts';

/**
 * One-time form tokens: a generate or rotate form that is submitted twice (reload of the result
 * page, back button, a second instance behind the load balancer) must not create a second
 * credential or expire the secret just shown.
 */
export interface OnceTokens {
  issue(): string;
  /** Claims a token; returns the earlier use when it was claimed before. */
  claim(token: string): Promise<{ clientId: string | undefined } | undefined>;
  /** Records what the first claim created, for the resubmit to point at. */
  settle(token: string, clientId: string): Promise<void>;
}

const ttlMs = 24 * 3_600_000;
const shape = /^[A-Za-z0-9_-]{22}$/;
const issue = (): string => randomBytes(16).toString('base64url');

/** In memory: at worst a restart forgets them, and the second submit then acts like a new one. */
export function memoryOnceTokens(clock: Clock): OnceTokens {
  const used = new Map<string, { clientId: string | undefined; at: number }>();
  return {
    issue,
    async claim(token) {
      if (!shape.test(token)) return undefined;
      const now = clock();
      const earlier = used.get(token);
      if (earlier && now - earlier.at < ttlMs) return { clientId: earlier.clientId };
      if (used.size > 10_000) {
        for (const [k, v] of used) if (now - v.at >= ttlMs) used.delete(k);
        if (used.size > 10_000) used.delete(used.keys().next().value!);
      }
      used.set(token, { clientId: undefined, at: now });
      return undefined;
    },
    async settle(token, clientId) {
      const entry = used.get(token);
      if (entry) entry.clientId = clientId;
    },
  };
}

/**
 * Shared by every instance: SET NX claims a token atomically wherever the form lands. While Redis
 * is away, this instance's memory serves (a resubmit to another instance then acts like a new one).
 */
export function redisOnceTokens(
  redis: SharedRedis,
  clock: Clock,
  prefix = `${redis.prefix}once:`,
): OnceTokens {
  const local = memoryOnceTokens(clock);
  return {
    issue,
    async claim(token) {
      if (!shape.test(token)) return undefined;
      return redis.use(
        async (r) => {
          // '' until settled: a client id is never empty.
          const claimed = await r.set(prefix + token, '', 'PX', ttlMs, 'NX');
          if (claimed === 'OK') return undefined;
          return { clientId: (await r.get(prefix + token)) || undefined };
        },
        () => local.claim(token),
      );
    },
    async settle(token, clientId) {
      await redis.use(
        async (r) => void (await r.set(prefix + token, clientId, 'PX', ttlMs, 'XX')),
        () => local.settle(token, clientId),
      );
    },
  };
}
