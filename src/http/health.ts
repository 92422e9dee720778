import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import type { Metrics } from './metrics.ts';

export async function healthEndpoints(
  app: FastifyInstance,
  opts: { services: Services; metrics: Metrics },
): Promise<void> {
  const s = opts.services;
  app.get('/healthz', async () => ({ status: 'ok' }));
  // Ready means the store answers: a load balancer should not send traffic before that.
  app.get('/readyz', async (request, reply) => {
    try {
      await s.store.ping();
      // Without Redis the instance still serves (limits counted locally), so it stays ready.
      const redis = s.limiter.sharedState?.();
      return redis ? { status: 'ready', redis } : { status: 'ready' };
    } catch (error) {
      request.log.warn({ err: error }, 'store not reachable');
      return reply.status(503).send({ status: 'unavailable', reason: 'the store does not answer' });
    }
  });
  app.get('/metrics', async (_request, reply) =>
    reply.type(opts.metrics.registry.contentType).send(await opts.metrics.registry.metrics()),
  );
}
