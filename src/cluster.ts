import cluster, { type Worker } from 'node:cluster';
import type { Config } from './config/index.ts';
import { aggregateWorkerMetrics } from './http/cluster-metrics.ts';
import { createLogger } from './logger.ts';
import { seedBanner, seedIfEmpty } from './seed.ts';
import { closeOnSignals, startServer } from './server.ts';
import { closeServices, createServices } from './services.ts';

/**
 * `latchkey serve [--workers N]`. With several workers (node:cluster) they share one port; the
 * primary serves nothing itself. Workers share state only through the store and Redis, so a
 * restarted worker loses nothing.
 */
export async function serve(config: Config, workers: number): Promise<void> {
  if (workers > 1 && cluster.isPrimary) return runPrimary(config, workers);
  // A cluster worker finds the store migrated, keyed and seeded by the primary.
  const server = await startServer(config, { migrate: !cluster.isWorker });
  closeOnSignals(server);
  const unsupported = unsupportedNode();
  if (unsupported && !cluster.isWorker) server.services.log.warn(unsupported);
  server.services.log.info({ url: server.url, issuer: config.issuer }, 'latchkey listening');
}

/**
 * Why this Node is not supported, or undefined. Latchkey runs on the maintained LTS lines (22, 24,
 * 26: package.json `engines`); Node 20 reached its end of life on 2026-04-30 and still runs it, with
 * this one warning at start.
 */
export function unsupportedNode(version = process.versions.node): string | undefined {
  const major = Number(version.split('.')[0]);
  if (major >= 22) return undefined;
  return `Node ${version} is not supported (past its end of life): run Latchkey on a maintained LTS line (22, 24 or 26)`;
}

// A worker that dies is replaced after a pause that doubles while workers keep dying young.
const firstDelayMs = 100;
const maxDelayMs = 10_000;
const settledAfterMs = 30_000;
const drainTimeoutMs = 15_000;

async function runPrimary(config: Config, count: number): Promise<void> {
  const log = createLogger(config.logLevel);
  // Migrations, the first signing key and the development seed: once, before any worker starts.
  const services = await createServices(config, { log });
  const seeded = await seedIfEmpty(services);
  await closeServices(services);
  if (seeded) process.stdout.write(seedBanner(seeded, config.issuer));
  const unsupported = unsupportedNode();
  if (unsupported) log.warn(unsupported);
  // /metrics reports the whole server; without Redis the workers count rate limits here, so a limit
  // holds for the whole server.
  aggregateWorkerMetrics();
  if (!config.redisUrl) (await import('./ratelimit/cluster.ts')).countForWorkers();

  const started = new Map<Worker, number>();
  let crashes = 0;
  let listened = false;
  let stopping = false;
  let exitStatus = 0;

  const fork = (): void => {
    const worker = cluster.fork();
    started.set(worker, Date.now());
    log.info({ worker: worker.process.pid }, 'worker started');
  };
  cluster.on('listening', () => {
    listened = true;
  });
  cluster.on('exit', (worker, code, signal) => {
    const lived = Date.now() - (started.get(worker) ?? 0);
    started.delete(worker);
    if (stopping) {
      if (code) exitStatus = 1; // it could not drain cleanly
      if (started.size === 0) process.exit(exitStatus);
      return;
    }
    if (!listened) {
      // It never served: a restart would fail the same way (port taken, store unreachable).
      log.error({ worker: worker.process.pid, code, signal }, 'worker failed to start; stopping');
      stop('worker failure', 1);
      return;
    }
    crashes = lived >= settledAfterMs ? 0 : crashes + 1;
    const delay = Math.min(maxDelayMs, firstDelayMs * 2 ** Math.max(0, crashes - 1));
    log.warn({ worker: worker.process.pid, code, signal, restart_in_ms: delay }, 'worker died; restarting');
    setTimeout(() => stopping || fork(), delay);
  });

  /** Each worker finishes its in-flight requests and closes its store (server.ts closeOnSignals). */
  const stop = (reason: string, exitCode = 0): void => {
    if (stopping) return;
    stopping = true;
    exitStatus = exitCode;
    log.info({ reason }, 'shutting down workers');
    if (started.size === 0) process.exit(exitStatus);
    for (const worker of started.keys()) worker.process.kill('SIGTERM');
    setTimeout(() => process.exit(1), drainTimeoutMs).unref();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));

  for (let i = 0; i < count; i++) fork();
  log.info({ workers: count, issuer: config.issuer }, 'latchkey primary started');
}
