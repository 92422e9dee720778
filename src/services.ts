import type { Logger } from 'pino';
import { type Clock, systemClock } from './clock.ts';
import type { Config } from './config/index.ts';
import type { KeyRing } from './keys/keyring.ts';
import { openKeyRing } from './keys/keyring.ts';
import { createLogger } from './logger.ts';
import type { RateLimiter } from './ratelimit/index.ts';
import { memoryRateLimiter } from './ratelimit/index.ts';
import { redisRateLimiter } from './ratelimit/redis.ts';
import type { Store } from './store/index.ts';
import { openStore } from './store/index.ts';

/** What the protocol core and the HTTP adapters need, built once at start (see server.ts). Read-only. */
export interface Services {
  readonly config: Config;
  readonly clock: Clock;
  readonly store: Store;
  readonly keys: KeyRing;
  readonly limiter: RateLimiter;
  readonly log: Logger;
}

export interface ServiceOptions {
  clock?: Clock;
  log?: Logger;
  /** false: the store is known to be migrated already (cluster workers after their primary). */
  migrate?: boolean;
}

/** Opens the store (migrating it), loads the signing keys and builds the rest. */
export async function createServices(config: Config, options: ServiceOptions = {}): Promise<Services> {
  const clock = options.clock ?? systemClock;
  const log = options.log ?? createLogger(config.logLevel);
  const store = await openStore(config.database, clock, {
    migrate: options.migrate,
    webhooks: config.webhook !== undefined,
    onLost: (error) => log.warn({ err: error }, 'database connection lost; answering 503 until it is back'),
  });
  // A retired key stays published while tokens it signed may live, plus a margin for clock skew.
  const keys = await openKeyRing(store.keys, clock, (config.accessTokenTtl + 300) * 1000);
  // One instance counts in memory; several share their counts through Redis.
  const limiter = config.redisUrl ? redisRateLimiter(config.redisUrl, clock, log) : memoryRateLimiter(clock);
  return { config, clock, store, keys, limiter, log };
}

export async function closeServices(s: Services): Promise<void> {
  await s.limiter.close();
  await s.store.close();
}
