import type { FastifyInstance } from 'fastify';
import type { Config } from './config/index.ts';
import { buildApp } from './http/app.ts';
import { seedBanner, seedIfEmpty } from './seed.ts';
import { closeServices, createServices, type ServiceOptions, type Services } from './services.ts';
import { outboxKeptMs } from './store/outbox.ts';

export interface RunningServer {
  app: FastifyInstance;
  services: Services;
  url: string;
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
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
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
