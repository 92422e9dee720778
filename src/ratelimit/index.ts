import type { Clock } from '../clock.ts';

export interface RateDecision {
  allowed: boolean;
  /** Seconds until the window resets (for `Retry-After`, RFC 9110 §10.2.3). */
  retryAfter: number;
  remaining: number;
}

/** One key and its limit, for `peek`. */
export interface RateCheck {
  key: string;
  limit: number;
}

/** Fixed-window counters. The memory one serves one instance; the Redis one shares counts across instances. */
export interface RateLimiter {
  /** Counts one hit against `key` and says whether it is still within `limit` per `windowMs`. */
  hit(key: string, limit: number, windowMs: number): Promise<RateDecision>;
  /**
   * Whether each key is already at its limit, without counting: one look for all of them (one Redis
   * command), in the order given.
   */
  peek(checks: readonly RateCheck[], windowMs: number): Promise<RateDecision[]>;
  /**
   * Takes back one hit of the current window (never below zero): an attempt counted before the
   * expensive work, so parallel ones cannot all pass, that turned out not to be one to count.
   */
  undo(key: string, windowMs: number): Promise<void>;
  /** Limiters shared through Redis say whether it answers ('degraded': counting in memory meanwhile). */
  sharedState?(): 'ok' | 'degraded';
  close(): Promise<void>;
}

export function memoryRateLimiter(clock: Clock, maxKeys = 100_000): RateLimiter {
  const windows = new Map<string, { start: number; count: number }>();

  function current(key: string, windowMs: number): { start: number; count: number } {
    const now = clock();
    const start = now - (now % windowMs);
    let w = windows.get(key);
    if (!w || w.start !== start) {
      if (windows.size >= maxKeys) sweep(now, windowMs);
      w = { start, count: 0 };
      windows.set(key, w);
    }
    return w;
  }

  function sweep(now: number, windowMs: number): void {
    for (const [k, w] of windows) if (w.start + windowMs <= now) windows.delete(k);
    // Still full of live keys: drop the oldest rather than grow without bound.
    if (windows.size >= maxKeys) windows.delete(windows.keys().next().value!);
  }

  const decide = (w: { start: number; count: number }, limit: number, windowMs: number): RateDecision => ({
    allowed: w.count <= limit,
    retryAfter: Math.max(1, Math.ceil((w.start + windowMs - clock()) / 1000)),
    remaining: Math.max(0, limit - w.count),
  });

  return {
    async hit(key, limit, windowMs) {
      const w = current(key, windowMs);
      w.count++;
      return decide(w, limit, windowMs);
    },
    async peek(checks, windowMs) {
      // A read: no window is made for a key nobody has hit (every successful client authentication
      // peeks at two failure counters that are almost always empty).
      const now = clock();
      const start = now - (now % windowMs);
      return checks.map(({ key, limit }) => {
        const w = windows.get(key);
        const counted = w !== undefined && w.start === start ? w : { start, count: 0 };
        return { ...decide(counted, limit, windowMs), allowed: counted.count < limit };
      });
    },
    async undo(key, windowMs) {
      const now = clock();
      const w = windows.get(key);
      if (w !== undefined && w.start === now - (now % windowMs) && w.count > 0) w.count--;
    },
    async close() {},
  };
}
