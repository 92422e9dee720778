import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export interface Metrics {
  registry: Registry;
  tokens: Counter<'grant_type' | 'outcome'>;
  requestSeconds: Histogram<'route' | 'status'>;
}

/** One registry per app, so several apps in one process (tests) do not collide. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
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
  };
}

export function registerRequestMetrics(app: FastifyInstance, metrics: Metrics): void {
  // A callback hook: no promise per request.
  app.addHook('onResponse', (request, reply, done) => {
    metrics.requestSeconds.observe(
      { route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });
}
