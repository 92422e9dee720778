import type { FastifyInstance } from 'fastify';
import { jwks, pem } from '../keys/publish.ts';
import type { Services } from '../services.ts';

/** Verifiers cache these; five minutes keeps a rotation visible well inside a token's lifetime. */
const cacheable = 'public, max-age=300';

export async function keyEndpoints(app: FastifyInstance, opts: { services: Services }): Promise<void> {
  const { keys } = opts.services;
  app.get('/.well-known/jwks.json', async (_request, reply) =>
    reply.header('cache-control', cacheable).type('application/jwk-set+json').send(jwks(keys)),
  );
  app.get('/pem', async (_request, reply) =>
    reply.header('cache-control', cacheable).type('application/x-pem-file').send(pem(keys)),
  );
}
