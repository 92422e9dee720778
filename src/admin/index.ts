import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requireBearer } from '../http/bearer.ts';
import { adminScope } from '../oauth/scope.ts';
import type { Services } from '../services.ts';
import { lazyOpenApi, lazySchemaCompilers } from './lazy-schemas.ts';
import { ProblemError, registerProblemHandlers } from './problems.ts';
import { clientRoutes } from './routes/clients.ts';
import { grantRoutes } from './routes/grants.ts';
import { organizationRoutes } from './routes/organizations.ts';

export const adminPrefix = '/admin/v1';

/**
 * The admin API (DESIGN.md "Plugging into the platform"): the platform's back end, holding a
 * client_credentials token with `latchkey:admin`, provisions organizations, people and credentials.
 */
export async function adminApi(app: FastifyInstance, opts: { services: Services }): Promise<void> {
  const s = opts.services;
  const openApiDocument = lazyOpenApi(app, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Latchkey admin API',
        version: '1',
        description:
          'Bearer access tokens from client_credentials with scope latchkey:admin. Errors are RFC 9457 ' +
          'problem details. Lists are {"data": [...], "next_cursor": "..."|null}; pass next_cursor as ?cursor=.',
      },
      // The issuer, path included; @fastify/swagger strips that path from the routes' (stripBasePath).
      servers: [{ url: s.config.issuer }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
  });
  lazySchemaCompilers(app);
  registerProblemHandlers(app);

  const bearer = requireBearer(s, adminScope);
  const openapiPath = `${app.prefix}/openapi.json`;
  app.addHook('onRequest', async (request: FastifyRequest, reply) => {
    if (request.url === openapiPath) return;
    await bearer(request, reply);
    // Tokens for people never carry latchkey:* scopes (consent filters them); checked anyway: the
    // admin API answers only the platform's own back end (RFC 9068 §2.2: sub = client for client_credentials).
    if (request.token!.sub !== request.token!.client_id)
      throw new ProblemError(403, 'The admin API takes client_credentials tokens only');
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => openApiDocument());
  await app.register(organizationRoutes, { services: s });
  await app.register(clientRoutes, { services: s });
  await app.register(grantRoutes, { services: s });
}
