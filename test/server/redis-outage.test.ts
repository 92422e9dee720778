import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Latchkey, requestToken, startLatchkey, testClock } from '../helpers/latchkey.ts';
import { type PrivateRedis, startPrivateRedis } from '../helpers/redis.ts';

// DESIGN.md "Faults": Redis unreachable → the instance keeps serving with local limits, logs one
// warning, /readyz stays 200 and reports "redis":"degraded"; shared limits resume when it returns.
const clock = testClock(Date.UTC(2026, 10, 22, 18, 0, 0));
let redis: PrivateRedis;
let a: Latchkey;
let b: Latchkey;
const logLines: Array<{ level: number; msg: string }> = [];

beforeAll(async () => {
  redis = await startPrivateRedis();
  const logStream = new PassThrough();
  logStream.on('data', (chunk) => {
    for (const line of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
  });
  const env = { LATCHKEY_REDIS_URL: redis.url, LATCHKEY_TOKEN_RATE_LIMIT: '3/minute' };
  a = await startLatchkey({ clock, env, logStream });
  b = await startLatchkey({ clock, env: { ...env, LATCHKEY_DATABASE: a.services.config.database } });
});
afterAll(async () => {
  await b?.close();
  await a?.close();
  await redis?.stop();
});

const readyz = async (lk: Latchkey) => {
  const res = await fetch(`${lk.issuer}/readyz`);
  return { status: res.status, body: await res.json() };
};

/** Waits (real time: Redis reconnects on its own timers) until `lk` reports Redis back. */
async function untilRedisOk(lk: Latchkey): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await readyz(lk)).body.redis === 'ok') return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('Redis never came back');
}

describe('Redis outage', () => {
  it('keeps issuing tokens with local limits, warns once, and shares limits again once Redis returns', async () => {
    const client = await a.createClient({ name: `outage ${randomUUID()}` });
    const statuses = async (order: Latchkey[]) => {
      const out: number[] = [];
      for (const lk of order) out.push((await requestToken(lk.issuer, client)).status);
      return out;
    };
    // Shared: a and b count together.
    expect(await readyz(a)).toEqual({ status: 200, body: { status: 'ready', redis: 'ok' } });
    expect(await statuses([a, b, a, b])).toEqual([200, 200, 200, 429]);

    await redis.stop();
    clock.advance(60_000);
    // Each instance now counts on its own: tokens keep coming, limits still hold per instance.
    expect(await statuses([a, a, a, b, b, b, a])).toEqual([200, 200, 200, 200, 200, 200, 429]);
    expect(await readyz(a)).toEqual({ status: 200, body: { status: 'ready', redis: 'degraded' } });
    const warnings = logLines.filter((l) => l.level === 40 && /redis/i.test(l.msg));
    expect(warnings).toHaveLength(1);
    expect(logLines.filter((l) => l.level >= 50)).toEqual([]);

    await redis.start();
    await untilRedisOk(a);
    await untilRedisOk(b);
    clock.advance(60_000);
    expect(await statuses([a, b, a, b])).toEqual([200, 200, 200, 429]);
    const direct = new Redis(redis.url);
    try {
      const keys = await direct.keys(`latchkey:test:rl:token:${client.clientId}:*`);
      expect(keys).toHaveLength(1);
      expect(await direct.get(keys[0]!)).toBe('4');
    } finally {
      direct.disconnect();
    }
    expect(logLines.filter((l) => l.level === 40 && /redis/i.test(l.msg))).toHaveLength(1);
  });
});
