/**
 * The shared rate limiter: Latchkey's own fixed window (a script: INCRBY + PEXPIRE; at this limit
 * counted in leases of 100, src/ratelimit/shared-counts.ts) against
 * rate-limiter-flexible's RateLimiterRedis with a RateLimiterMemory insuranceLimiter, on a private
 * redis-server on loopback. Reports hits/s at a given concurrency, then kills Redis and reports how
 * each behaves while it is away (errors, latency of a hit, hits/s on the fallback).
 *
 *   node --import tsx bench/limiter.ts [--hits 20000] [--concurrency 50]
 */
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import pino from 'pino';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterRes } from 'rate-limiter-flexible';
import { systemClock } from '../src/clock.ts';
import { redisRateLimiter } from '../src/ratelimit/redis.ts';
import { redisChangeNotices } from '../src/store/change-notices.ts';
import { connectRedis } from '../src/store/redis.ts';
import { startPrivateRedis } from '../test/helpers/redis.ts';

const { values } = parseArgs({
  options: { hits: { type: 'string', default: '20000' }, concurrency: { type: 'string', default: '50' } },
});
const hits = Number(values.hits);
const concurrency = Number(values.concurrency);
const limit = 1_000_000; // never reached: measure counting, not refusing
const keys = 200;

type Hit = (key: string) => Promise<boolean>;

async function run(hit: Hit, count: number): Promise<{ perSecond: number; errors: number; p99: number }> {
  let next = 0;
  let errors = 0;
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const n = next++;
        const t = performance.now();
        try {
          await hit(`client-${n % keys}`);
        } catch {
          errors++;
        }
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((x, y) => x - y);
  return {
    perSecond: Math.round(count / seconds),
    errors,
    p99: latencies[Math.floor(latencies.length * 0.99)]!,
  };
}

const redis = await startPrivateRedis();
const log = pino({ level: 'silent' });

// Latchkey's own.
const shared = connectRedis(redis.url, 'bench:', log);
const own = redisRateLimiter(shared, systemClock, redisChangeNotices(shared, log), 'bench:own:');
const ownHit: Hit = async (key) => (await own.hit(key, limit, 60_000)).allowed;

// rate-limiter-flexible, configured as its documentation advises for an outage: no offline queue,
// so commands fail at once, and an in-memory insurance limiter that takes over.
const flexibleClient = new Redis(redis.url, {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  commandTimeout: 1_000,
});
flexibleClient.on('error', () => {});
const flexible = new RateLimiterRedis({
  storeClient: flexibleClient,
  keyPrefix: 'bench:rlf',
  points: limit,
  duration: 60,
  insuranceLimiter: new RateLimiterMemory({ points: limit, duration: 60 }),
});
const flexibleHit: Hit = async (key) => {
  try {
    await flexible.consume(key);
    return true;
  } catch (rejection) {
    if ((rejection as RateLimiterRes).msBeforeNext !== undefined) return false;
    throw rejection;
  }
};

await new Promise((r) => setTimeout(r, 200));
await run(ownHit, 2_000); // warm-up
await run(flexibleHit, 2_000);
const rows: string[] = [];
const row = (name: string, r: Awaited<ReturnType<typeof run>>) =>
  rows.push(`| ${name} | ${r.perSecond} | ${r.p99.toFixed(2)} | ${r.errors} |`);
for (let round = 0; round < 2; round++) {
  row('own (leases of 100), Redis up', await run(ownHit, hits));
  row('rate-limiter-flexible, Redis up', await run(flexibleHit, hits));
}

await redis.stop();
await new Promise((r) => setTimeout(r, 200));
row('own, Redis killed (memory fallback)', await run(ownHit, hits));
row('rate-limiter-flexible, Redis killed (insurance)', await run(flexibleHit, hits));

console.log(`${hits} hits, ${concurrency} concurrent, ${keys} keys, loopback private redis-server\n`);
console.log('| limiter | hits/s | p99 ms | errors |\n| --- | ---: | ---: | ---: |');
console.log(rows.join('\n'));
await shared.close();
flexibleClient.disconnect();
