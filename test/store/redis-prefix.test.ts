import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.ts';
import { redisOnceTokens } from '../../src/console/credentials/once-tokens.ts';
import { type ChangeNotice, type ChangeNotices, redisChangeNotices } from '../../src/store/change-notices.ts';
import { connectRedis, type SharedRedis } from '../../src/store/redis.ts';
import { within } from '../helpers/instances.ts';
import { type Latchkey, startLatchkey } from '../helpers/latchkey.ts';
import { type PrivateRedis, startPrivateRedis } from '../helpers/redis.ts';

// DESIGN.md "Operating it": Redis keys and channels carry a prefix (LATCHKEY_REDIS_PREFIX, default
// `latchkey:{environment}:`), so stage and production sharing a Redis never hear each other.

let redis: PrivateRedis;
let stage: Latchkey;
let production: Latchkey;
let production2: Latchkey;
let blue: Latchkey;
let blueSender: SharedRedis;
let blueNotices: ChangeNotices;

beforeAll(async () => {
  redis = await startPrivateRedis();
  const on = (env: Record<string, string>) =>
    startLatchkey({ env: { LATCHKEY_REDIS_URL: redis.url, ...env } });
  stage = await on({ LATCHKEY_ENVIRONMENT: 'stage' });
  production = await on({ LATCHKEY_ENVIRONMENT: 'production' });
  production2 = await on({ LATCHKEY_ENVIRONMENT: 'production' });
  blue = await on({ LATCHKEY_ENVIRONMENT: 'production', LATCHKEY_REDIS_PREFIX: 'blue:' });
  blueSender = connectRedis(redis.url, 'blue:', pino({ level: 'silent' }));
  blueNotices = redisChangeNotices(blueSender, pino({ level: 'silent' }));
});
afterAll(async () => {
  for (const lk of [stage, production, production2, blue]) await lk?.close();
  await blueSender?.close();
  await redis?.stop();
});

describe('LATCHKEY_REDIS_PREFIX', () => {
  it('defaults to latchkey:{environment}: and takes a prefix of its own', () => {
    expect(loadConfig({ LATCHKEY_ENVIRONMENT: 'stage' }).redisPrefix).toBe('latchkey:stage:');
    expect(loadConfig({}).redisPrefix).toBe('latchkey:development:');
    expect(loadConfig({ LATCHKEY_REDIS_PREFIX: 'blue:' }).redisPrefix).toBe('blue:');
    expect(() => loadConfig({ LATCHKEY_REDIS_PREFIX: 'has space' })).toThrow(ConfigError);
    expect(() => loadConfig({ LATCHKEY_REDIS_PREFIX: 'has space' })).toThrow(/^LATCHKEY_REDIS_PREFIX: /);
  });

  it('keeps rate limits apart between environments on one Redis, and shared within one', async () => {
    const hit = (lk: Latchkey) => lk.services.limiter.hit('token:same-client-id', 1, 60_000);
    expect((await hit(stage)).allowed).toBe(true);
    expect((await hit(production)).allowed).toBe(true);
    expect((await hit(production2)).allowed).toBe(false);
    expect((await hit(blue)).allowed).toBe(true);

    // The console's one-time form tokens too.
    const once = redisOnceTokens(stage.services.redis!, stage.services.clock);
    expect(await once.claim(once.issue())).toBeUndefined();

    const direct = new Redis(redis.url);
    try {
      const keys = await direct.keys('*');
      expect(keys.filter((key) => key.startsWith('latchkey:stage:once:'))).toHaveLength(1);
      expect(keys.filter((key) => key.includes(':rl:') || key.startsWith('blue:rl:'))).toHaveLength(3);
      for (const key of keys) expect(key).toMatch(/^(latchkey:stage:|latchkey:production:|blue:)(rl|once):/);
    } finally {
      direct.disconnect();
    }
  });

  it('keeps change notices apart between environments on one Redis', async () => {
    const heard = (lk: Latchkey | ChangeNotices) => {
      const notices: ChangeNotice[] = [];
      const source = 'services' in lk ? lk.services.notices : lk;
      source.subscribe((n) => n !== 'reset' && notices.push(n));
      return notices;
    };
    const atProduction = heard(production);
    const atBlue = heard(blue);
    // Once `to` hears a marker from `from`, every notice published before the marker has reached it
    // too (one Redis orders one channel's messages): what it has not heard by then, it never will.
    let n = 0;
    const marker = async (from: ChangeNotices, to: ChangeNotice[]) => {
      const id = `marker-${++n}`;
      const reached = await within(10_000, async () => {
        await from.publish('client', id);
        return to.some((x) => x.id === id);
      });
      expect(reached).toBe(true);
    };
    await marker(production2.services.notices, atProduction);
    await marker(blueNotices, atBlue);

    await stage.services.notices.publish('client', 'from-stage');
    await production2.services.notices.publish('keys', 'from-production');
    await marker(production2.services.notices, atProduction);
    await marker(blueNotices, atBlue);

    expect(atProduction.map((x) => x.id)).toContain('from-production');
    expect(atProduction.map((x) => x.id)).not.toContain('from-stage');
    expect(atBlue.map((x) => x.id)).not.toContain('from-stage');
    expect(atBlue.map((x) => x.id)).not.toContain('from-production');
  });
});
