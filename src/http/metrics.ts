import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { Services } from '../services.ts';
import { serverMetrics } from './cluster-metrics.ts';

export interface Metrics {
  registry: Registry;
  tokens: Counter<'grant_type' | 'outcome'>;
  requestSeconds: Histogram<'route' | 'status'>;
  /** 429 answers: token limits, failed-authentication and sign-in throttles. */
  rateLimited: Counter<'route'>;
  clientAuthFailures: Counter;
  storeQuerySeconds: Histogram;
  cacheLookups: Counter<'cache' | 'result'>;
  /** What /metrics answers: this process's registry, or the whole server's under `--workers N`. */
  text(): Promise<string>;
}

/** One registry per app, so several apps in one process (tests) do not collide. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    text: serverMetrics(registry),
    tokens: new Counter({
      name: 'latchkey_token_requests_total',
      help: 'Token endpoint requests by grant type and outcome (issued or the OAuth error code)',
      labelNames: ['grant_type', 'outcome'],
      registers: [registry],
    }),
    requestSeconds: new Histogram({
      name: 'latchkey_http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    rateLimited: new Counter({
      name: 'latchkey_rate_limited_total',
      help: 'Requests answered 429 (token limit, failed-authentication or sign-in throttle), by route',
      labelNames: ['route'],
      registers: [registry],
    }),
    clientAuthFailures: new Counter({
      name: 'latchkey_client_auth_failures_total',
      help: 'Failed client authentications at the token, introspection, revocation and PAR endpoints',
      registers: [registry],
    }),
    storeQuerySeconds: new Histogram({
      name: 'latchkey_store_query_duration_seconds',
      help: 'Database query duration',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1],
      registers: [registry],
    }),
    cacheLookups: new Counter({
      name: 'latchkey_cache_lookups_total',
      help: 'Cache lookups by cache (clients, token_status) and result (hit or miss); on PostgreSQL with shared change notices or SQLite',
      labelNames: ['cache', 'result'],
      registers: [registry],
    }),
  };
}

/**
 * Feeds the metrics that other layers report: the core's events (failed client authentication) and
 * the store's observer (query durations, cache lookups). Returns the function that stops it.
 */
export function observeServices(s: Services, metrics: Metrics): () => void {
  const stopEvents = s.events.subscribe({ onClientAuthFailed: () => metrics.clientAuthFailures.inc() });
  const stopStore = s.store.observe({
    query: (seconds) => metrics.storeQuerySeconds.observe(seconds),
    cacheLookup: (cache, hit) => metrics.cacheLookups.inc({ cache, result: hit ? 'hit' : 'miss' }),
  });
  return () => {
    stopEvents();
    stopStore();
  };
}

export function registerRequestMetrics(app: FastifyInstance, metrics: Metrics): void {
  // A callback hook: no promise per request.
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requestSeconds.observe({ route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    if (reply.statusCode === 429) metrics.rateLimited.inc({ route });
    done();
  });
}
