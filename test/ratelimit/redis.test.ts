import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Latchkey, requestToken, startLatchkey, testClock } from '../helpers/latchkey.ts';

// Two instances sharing one Redis share one per-client limit (DESIGN.md: LATCHKEY_REDIS_URL).
// CI starts Redis; without it this fails rather than skips.
const clock = testClock(Date.UTC(2026, 10, 22, 15, 0, 0));
const redisUrl = process.env.LATCHKEY_TEST_REDIS ?? 'redis://127.0.0.1:6379';
let a: Latchkey;
let b: Latchkey;

beforeAll(async () => {
  // Distinct namespaces per run come from distinct client ids; both instances share one SQLite file.
  a = await startLatchkey({
    clock,
    env: { LATCHKEY_REDIS_URL: redisUrl, LATCHKEY_TOKEN_RATE_LIMIT: '4/minute' },
  });
  b = await startLatchkey({
    clock,
    env: {
      LATCHKEY_REDIS_URL: redisUrl,
      LATCHKEY_TOKEN_RATE_LIMIT: '4/minute',
      LATCHKEY_DATABASE: a.services.config.database,
    },
  });
});
afterAll(async () => {
  await b?.close();
  await a?.close();
});

describe('rate limits shared through Redis', () => {
  it('counts token requests for one client across instances', async () => {
    const c = await a.createClient({ name: `shared ${randomUUID()}` });
    const post = (lk: Latchkey) => requestToken(lk.issuer, c);
    const statuses = [];
    for (const lk of [a, b, a, b, a, b]) statuses.push((await post(lk)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    const limited = await post(b);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    clock.advance(60_000);
    expect((await post(b)).status).toBe(200);
  });
});

describe('failed authentications counted through Redis', () => {
  // A Redis prefix of this test's own: the per-address count (127.0.0.1) must not meet other runs'.
  const prefix = `latchkey-test-${randomUUID()}:`;
  let c: Latchkey;
  let d: Latchkey;
  beforeAll(async () => {
    c = await startLatchkey({ clock, env: { LATCHKEY_REDIS_URL: redisUrl, LATCHKEY_REDIS_PREFIX: prefix } });
    d = await startLatchkey({
      clock,
      env: {
        LATCHKEY_REDIS_URL: redisUrl,
        LATCHKEY_REDIS_PREFIX: prefix,
        LATCHKEY_DATABASE: c.services.config.database,
      },
    });
  });
  afterAll(async () => {
    await d?.close();
    await c?.close();
  });

  it('locks a client id out at every instance once the failures at all of them reach the limit', async () => {
    const client = await c.createClient({ name: `locked ${randomUUID()}` });
    const wrong = { ...client, clientSecret: `${client.clientSecret.slice(0, -8)}AAAAAAAA` };
    const statuses = [];
    for (const lk of [c, d, c, d, c, d, c, d, c, d])
      statuses.push((await requestToken(lk.issuer, wrong)).status);
    expect(statuses).toEqual(Array(10).fill(401));
    // Five failures at each: neither instance alone has reached 10, together they have.
    for (const lk of [c, d]) expect((await requestToken(lk.issuer, client)).status).toBe(429);
    clock.advance(60_000);
    expect((await requestToken(c.issuer, client)).status).toBe(200);
  });
});
