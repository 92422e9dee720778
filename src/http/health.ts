import { BlockList, isIPv6 } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { AddressBlock } from '../config/index.ts';
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
  const audience = metricsAudience(s.config.metricsAllow);
  app.get('/metrics', async (request, reply) => {
    // Routes, volumes and versions are the operator's business, not the public's (request.ip: the
    // caller as LATCHKEY_TRUST_PROXY decides it).
    if (!audience.check(request.ip, isIPv6(request.ip) ? 'ipv6' : 'ipv4')) {
      return reply
        .status(403)
        .type('text/plain')
        .send('/metrics answers loopback and LATCHKEY_METRICS_ALLOW\n');
    }
    try {
      return reply.type(opts.metrics.registry.contentType).send(await opts.metrics.text());
    } catch (error) {
      // Under --workers N: a worker did not report. A partial sum would look like a counter reset.
      request.log.warn({ err: error }, 'metrics not gathered');
      return reply.status(503).type('text/plain').send('metrics are not available; try again\n');
    }
  });
}

/** Loopback (IPv4, IPv6, and IPv4 mapped into IPv6, which BlockList matches too) and the operator's blocks. */
function metricsAudience(allow: AddressBlock[]): BlockList {
  const list = new BlockList();
  list.addSubnet('127.0.0.0', 8, 'ipv4');
  list.addAddress('::1', 'ipv6');
  for (const block of allow) list.addSubnet(block.address, block.prefix, block.family);
  return list;
}
