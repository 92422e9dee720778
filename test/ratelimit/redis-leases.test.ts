import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RateLimiter } from '../../src/ratelimit/index.ts';
import { redisRateLimiter } from '../../src/ratelimit/redis.ts';
import { type ChangeNotices, redisChangeNotices } from '../../src/store/change-notices.ts';
import { connectRedis, type SharedRedis } from '../../src/store/redis.ts';
import { within } from '../helpers/instances.ts';
import { testClock } from '../helpers/latchkey.ts';
import { type PrivateRedis, startPrivateRedis } from '../helpers/redis.ts';

// Two instances' limiters on a redis-server of this test's own, whose command counts tell what each
// decision cost: high limits in leases, peeks answered without Redis while nothing was counted.
const clock = testClock(Date.UTC(2026, 10, 22, 15, 0, 30));
const log = pino({ level: 'silent' });
let redis: PrivateRedis;
let links: SharedRedis[];
let notices: ChangeNotices[];
let a: RateLimiter;
let b: RateLimiter;

beforeAll(async () => {
  redis = await startPrivateRedis();
  links = [connectRedis(redis.url, 'lk:', log), connectRedis(redis.url, 'lk:', log)];
  notices = links.map((l) => redisChangeNotices(l, log));
  [a, b] = links.map((l, i) => redisRateLimiter(l, clock, notices[i]!)) as [RateLimiter, RateLimiter];
  expect(await within(2_000, async () => notices.every((n) => n.healthy()))).toBe(true);
});
afterAll(async () => {
  for (const l of [a, b]) await l?.close();
  for (const l of links ?? []) await l.close();
  await redis?.stop();
});

/** Calls of one command since the server started (INFO commandstats), by a connection of its own. */
async function calls(command: string): Promise<number> {
  const probe = connectRedis(redis.url, 'probe:', log);
  try {
    const info = (await probe.client.info('commandstats')) as string;
    return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
  } finally {
    await probe.close();
  }
}

describe('a high limit counted in leases', () => {
  it('holds across two instances, with one claim in Redis per block of counts', async () => {
    const limit = 1_000; // blocks of 10
    const before = await calls('evalsha');
    const results = [];
    for (let round = 0; round < 60; round++) {
      // 20 at a time, half at each instance.
      results.push(
        ...(await Promise.all(
          Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).hit('token:leased', limit, 60_000)),
        )),
      );
    }
    const allowed = results.filter((r) => r.allowed).length;
    expect(allowed).toBeLessThanOrEqual(limit);
    // Refused early by at most the block each instance may hold unspent.
    expect(allowed).toBeGreaterThanOrEqual(limit - 2 * 10);
    // 1,200 hits; about 100 claims, a few more once the limit is reached (refused from then on).
    expect((await calls('evalsha')) - before).toBeLessThanOrEqual(110);
    const refused = results.find((r) => !r.allowed)!;
    expect(refused.retryAfter).toBe(30);
    // A new window, new leases.
    clock.advance(60_000);
    expect((await a.hit('token:leased', limit, 60_000)).allowed).toBe(true);
  });

  it('counts a low limit exactly, one command a hit', async () => {
    const before = await calls('evalsha');
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).hit('low', 10, 60_000)),
    );
    expect(results.filter((r) => r.allowed).length).toBe(10);
    expect((await calls('evalsha')) - before).toBe(12);
  });
});

describe('peeks at counters nobody has counted', () => {
  const failures = (key: string) => [{ key, limit: 1 }];

  it('ask Redis once, then answer here until another instance counts', async () => {
    expect((await a.peek(failures('authfail:x'), 60_000))[0]!.allowed).toBe(true);
    const mgets = await calls('mget');
    for (let i = 0; i < 50; i++)
      expect((await a.peek(failures('authfail:x'), 60_000))[0]!.allowed).toBe(true);
    expect(await calls('mget')).toBe(mgets);
    // One failure counted at the other instance: its announcement sends this one's peeks to Redis.
    await b.hit('authfail:x', 1, 60_000);
    expect(await within(1_000, async () => !(await a.peek(failures('authfail:x'), 60_000))[0]!.allowed)).toBe(
      true,
    );
    expect(await calls('mget')).toBeGreaterThan(mgets);
  });

  it('trust nothing learnt before Redis went away', async () => {
    expect((await a.peek(failures('authfail:y'), 60_000))[0]!.allowed).toBe(true);
    await redis.stop();
    expect(await within(2_000, async () => !notices[0]!.healthy())).toBe(true);
    await redis.start();
    expect(await within(5_000, async () => notices.every((n) => n.healthy()))).toBe(true);
    // A fresh server (no command counted yet): the peek asks it, as nothing known before may stand.
    expect((await a.peek(failures('authfail:y'), 60_000))[0]!.allowed).toBe(true);
    expect(await calls('mget')).toBe(1);
  });
});

describe('change notices through Redis', () => {
  it('are healthy only while the subscription is live', async () => {
    const link = connectRedis(redis.url, 'lk:', log);
    const n = redisChangeNotices(link, log);
    let resets = 0;
    n.subscribe((notice) => {
      if (notice === 'reset') resets++;
    });
    try {
      // Subscribed to nothing yet: what it would hear is not heard.
      expect(n.healthy()).toBe(false);
      expect(await within(2_000, async () => resets === 1 && n.healthy())).toBe(true);
      await redis.stop();
      expect(await within(2_000, async () => !n.healthy())).toBe(true);
      await redis.start();
      expect(await within(5_000, async () => resets === 2 && n.healthy())).toBe(true);
    } finally {
      await link.close();
    }
  });
});
