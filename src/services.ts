import cluster from 'node:cluster';
import type { Logger } from 'pino';
import { type Clock, systemClock } from './clock.ts';
import type { Config } from './config/index.ts';
import { ensureSigningKey, type KeyRing, openKeyRing } from './keys/keyring.ts';
import { createLogger } from './logger.ts';
import { createOAuthEvents, type OAuthEventHub } from './oauth/events.ts';
import {
  type ClientMetadataDocumentDeps,
  type ClientMetadataDocuments,
  clientMetadataDocuments,
} from './oauth/metadata-document-clients.ts';
import type { RateLimiter } from './ratelimit/index.ts';
import { memoryRateLimiter } from './ratelimit/index.ts';
import { redisRateLimiter } from './ratelimit/redis.ts';
import { type ChangeNotices, localChangeNotices, redisChangeNotices } from './store/change-notices.ts';
import { isPostgres } from './store/db.ts';
import type { Store } from './store/index.ts';
import { openStore } from './store/index.ts';
import { outboxSealKey } from './store/outbox-seal.ts';
import type { SharedRedis } from './store/redis.ts';

/** What the protocol core and the HTTP adapters need, built once at start (see server.ts). Read-only. */
export interface Services {
  readonly config: Config;
  readonly clock: Clock;
  readonly store: Store;
  readonly keys: KeyRing;
  readonly limiter: RateLimiter;
  /** Tells every instance's caches what changed (through Redis when configured, else PostgreSQL's NOTIFY). */
  readonly notices: ChangeNotices;
  /** What instances share besides the database, when LATCHKEY_REDIS_URL is set. */
  readonly redis: SharedRedis | undefined;
  readonly log: Logger;
  /** The core's outward events; the console and others subscribe when the app is wired (http/app.ts). */
  readonly events: OAuthEventHub;
  /** Client ID Metadata Documents; undefined while LATCHKEY_CLIENT_METADATA_DOCUMENTS is off. */
  readonly clientDocuments: ClientMetadataDocuments | undefined;
}

export interface ServiceOptions {
  clock?: Clock;
  log?: Logger;
  /** false: the store is known to be migrated already (cluster workers after their primary). */
  migrate?: boolean;
  /** How metadata documents are fetched: trust anchors, name resolution, time limit (tests). */
  documentFetch?: ClientMetadataDocumentDeps['fetch'];
}

/**
 * Opens the store, migrates it and makes the first signing key (once, under the store's lock, when
 * several processes start together), loads the signing keys and builds the rest.
 */
export async function createServices(config: Config, options: ServiceOptions = {}): Promise<Services> {
  const clock = options.clock ?? systemClock;
  const log = options.log ?? createLogger(config.logLevel);
  // One instance keeps its state in memory; several share it through Redis. The Redis client is
  // loaded only then: importing it costs every other instance start time and memory.
  const redis = config.redisUrl
    ? (await import('./store/redis.ts')).connectRedis(config.redisUrl, config.redisPrefix, log)
    : undefined;
  // Without Redis, instances on one PostgreSQL database hear each other through LISTEN/NOTIFY.
  const notices = redis
    ? redisChangeNotices(redis, log)
    : isPostgres(config.database)
      ? (await import('./store/pg-change-notices.ts')).pgChangeNotices(config.database, log)
      : localChangeNotices();
  try {
    const store = await openStore(config.database, clock, {
      migrate: false,
      notices,
      outboxKey: config.webhook && outboxSealKey(config.webhook.secret),
      onLost: (error) => log.warn({ err: error }, 'database connection lost; answering 503 until it is back'),
    });
    let keys: KeyRing;
    try {
      // Once, whoever comes first: instances starting together wait here for it (DESIGN.md "Operating it").
      await store.exclusively(async (locked) => {
        if (options.migrate !== false) await locked.migrate();
        await ensureSigningKey(locked.keys, clock);
      });
      // A retired key stays published while tokens it signed may live, plus a margin for clock skew.
      keys = await openKeyRing(store.keys, clock, (config.accessTokenTtl + 300) * 1000, notices);
    } catch (error) {
      await store.close();
      throw error;
    }
    const limiter = redis
      ? redisRateLimiter(redis, clock, notices)
      : // `--workers N` without Redis: one count for the server, kept by the primary (src/cluster.ts).
        cluster.isWorker
        ? (await import('./ratelimit/cluster.ts')).clusterRateLimiter(clock)
        : memoryRateLimiter(clock);
    const events = createOAuthEvents((error) => log.warn({ err: error }, 'an OAuth event listener failed'));
    const clientDocuments = config.clientMetadataDocuments
      ? clientMetadataDocuments({ store, config, clock, limiter, log, fetch: options.documentFetch })
      : undefined;
    return { config, clock, store, keys, limiter, notices, redis, log, events, clientDocuments };
  } catch (error) {
    await notices.close();
    await redis?.close();
    throw error;
  }
}

export async function closeServices(s: Services): Promise<void> {
  s.keys.close();
  await s.limiter.close();
  await s.notices.close();
  await s.redis?.close();
  await s.store.close();
}
