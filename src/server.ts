import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config/index.ts';
import { acceptWholeBacklog } from './http/accept-backlog.ts';
import { buildApp } from './http/app.ts';
import { es256Signing } from './keys/es256.ts';
import { seedBanner, seedIfEmpty } from './seed.ts';
import { closeServices, createServices, type ServiceOptions, type Services } from './services.ts';
import { outboxKeptMs } from './store/outbox.ts';

export interface RunningServer {
  app: FastifyInstance;
  services: Services;
  url: string;
  /** What the bin did with the bundle's V8 code cache (bin/load-bundle.mjs); undefined when not run by the bin. */
  codeCache: string | undefined;
  /** How new connections are accepted: `whole backlog per turn` (src/http/accept-backlog.ts), or why one per turn. */
  acceptBacklog: string;
  close(): Promise<void>;
}

/** Migrates, seeds (development), listens, and keeps signing keys fresh across processes. */
export async function startServer(
  config: Config,
  options: ServiceOptions & { printBanner?: (text: string) => void } = {},
): Promise<RunningServer> {
  const services = await createServices(config, options);
  const seeded = await seedIfEmpty(services);
  const app = await buildApp(services);
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    // Port taken, address not ours: release the store and Redis before saying so.
    await app.close();
    await closeServices(services);
    throw error;
  }
  const accepting = acceptWholeBacklog(app.server);
  const codeCache = settleCodeCache();
  releaseYoungGeneration();
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  if (config.nativeSigning && !services.keys.signsNatively()) {
    services.log.warn(
      { reason: es256Signing.reason },
      'tokens are signed through node:crypto: the native ES256 signer is not loaded (`npm run build` builds it, with python3, make and a C compiler)',
    );
  }
  if (seeded) (options.printBanner ?? ((t) => process.stdout.write(t)))(seedBanner(seeded, config.issuer));

  // `latchkey keys rotate` runs in another process: pick its key up without a restart.
  const reloadKeys = setInterval(() => {
    services.keys
      .reload()
      .catch((error) => services.log.warn({ err: error }, 'could not reload signing keys'));
  }, 30_000);
  reloadKeys.unref();
  const prune = setInterval(() => {
    housekeeping(services).catch((error) =>
      services.log.warn({ err: error }, 'could not prune expired sessions and codes'),
    );
  }, 10 * 60_000);
  prune.unref();

  return {
    app,
    services,
    url,
    codeCache,
    acceptBacklog: accepting.enabled ? 'whole backlog per turn' : `one per turn: ${accepting.reason}`,
    async close() {
      clearInterval(reloadKeys);
      clearInterval(prune);
      // server.close() drops connections idle at that moment; a keep-alive connection whose request
      // finishes later would hold the exit until its keep-alive timeout. Drop those as they go idle.
      const dropIdle = setInterval(() => app.server.closeIdleConnections(), 50);
      try {
        await app.close();
      } finally {
        clearInterval(dropIdle);
      }
      await closeServices(services);
    },
  };
}

interface BundleCodeCache {
  used: boolean;
  save?: () => string | undefined;
}

/**
 * What bin/load-bundle.mjs did with the bundle's V8 code cache, for the listening line; undefined
 * when the server was not started by the bin. Without a usable cache it saves one now: the start's
 * code is compiled by now, and V8's flags are still those it loaded under (before
 * `releaseYoungGeneration` changes one), which a cache must match to be taken.
 */
function settleCodeCache(): string | undefined {
  const cache = (globalThis as { [key: symbol]: BundleCodeCache | undefined })[
    Symbol.for('latchkey.codeCache')
  ];
  if (!cache) return undefined;
  if (cache.used) return 'used';
  const save = cache.save;
  if (!save) return 'compiled';
  cache.save = undefined;
  const failure = save();
  return failure ? `compiled; not saved (${failure}): each start compiles the bundle` : 'compiled and saved';
}

const youngGenerationHeld = Symbol.for('latchkey.youngGenerationHeld');

/** Both semi-spaces of V8's young generation together, at most: 2 × 8 MB instead of V8's 2 × 16 MB. */
const youngGenerationCap = 16 * 1024 * 1024;

/**
 * bin/latchkey.mjs holds V8's young generation at its initial size while the server loads (start-up
 * allocations would otherwise size it for good, ~30 MB of idle RSS). Listening, the server lets it
 * grow with the load again, up to `youngGenerationCap`: after each GC, growth (V8's default factor
 * 2, read at every resize) is allowed while the young generation is below the cap and stopped at it.
 * `--max-semi-space-size` would say the same, but V8 reads it only when it sets up the heap, i.e. on
 * the command line, which `latchkey serve`, `npm start` and the image do not all share. With the
 * old-generation setting in bin/latchkey.mjs and an 8 MB cap this brought peak RSS under load from
 * 145–186 MB to 116–118 MB for 1–5 % more CPU per request (bench/README.md, "Fourth round"); with
 * SQLite's page cache at 4 MB instead of 16 (src/store/db.ts) the cap is 16 MB again: 3–7 % less CPU
 * than at 8 MB, peak RSS 107–113 MB ("Fifth round"). An operator's own young-generation flags turn
 * all of this off (bin/latchkey.mjs).
 */
function releaseYoungGeneration(): void {
  const held = globalThis as { [youngGenerationHeld]?: boolean };
  if (!held[youngGenerationHeld]) return;
  delete held[youngGenerationHeld];
  let growing = false;
  const follow = () => {
    const young = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
    const grow = (young?.space_size ?? 0) < youngGenerationCap;
    if (grow === growing) return;
    growing = grow;
    setFlagsFromString(`--semi-space-growth-factor=${grow ? 2 : 1}`);
  };
  follow();
  new PerformanceObserver(follow).observe({ entryTypes: ['gc'] });
}

/**
 * Expired sessions, parked authorization requests and codes go (every 10 minutes), and webhook events
 * a week old. A used code is kept a day past its expiry so a late replay still revokes what it issued
 * (RFC 6749 §4.1.2). A revoked access token's `jti` goes a minute after the token itself expired: past
 * `exp` no check accepts it anyway (RFC 7009 §2.1 lets the server forget it then).
 */
export async function housekeeping(s: Services): Promise<void> {
  const now = s.clock();
  await s.store.sessions.prune();
  await s.store.authorizationRequests.prune(now);
  await s.store.codes.prune(now - 86_400_000);
  await Promise.all([
    s.store.pushedRequests.prune(now),
    s.store.seenValues.prune(now),
    s.store.revocations.prune(now - 60_000),
  ]);
  // Webhook events wait a week for a server with LATCHKEY_WEBHOOK_URL (a delivering server gives up
  // after a day); delivered ones are kept as long, for the operator to look at.
  const outbox = await s.store.outbox.prune(now - outboxKeptMs);
  if (outbox.undelivered > 0) {
    s.log.warn(
      { events: outbox.undelivered },
      'webhook events discarded after 7 days undelivered (no server with LATCHKEY_WEBHOOK_URL sent them)',
    );
  }
}

/** SIGTERM/SIGINT: stop accepting, finish in-flight requests, close the store, exit. */
export function closeOnSignals(server: RunningServer): void {
  let closing = false;
  const stop = (signal: string): void => {
    if (closing) return;
    closing = true;
    server.services.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    server.close().then(
      () => process.exit(0),
      (error) => {
        server.services.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
