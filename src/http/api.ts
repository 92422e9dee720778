import type { FastifyInstance } from 'fastify';
import { protectedResourceMetadata } from '../oauth/metadata.ts';
import type { Services } from '../services.ts';
import { requireBearer } from './bearer.ts';

/** The demo protected resource: who the token speaks for. */
export async function demoApi(app: FastifyInstance, opts: { services: Services }): Promise<void> {
  const s = opts.services;
  const metadata = protectedResourceMetadata(s.config);
  app.get('/.well-known/oauth-protected-resource', async (_request, reply) =>
    reply.header('cache-control', 'public, max-age=300').send(metadata),
  );
  app.get('/api/v1/me', { preHandler: requireBearer(s) }, async (request) => {
    const t = request.token!;
    const isUser = t.sub !== t.client_id;
    return {
      sub: t.sub,
      client_id: t.client_id,
      org_id: t.org_id,
      user_id: isUser ? t.sub : null,
      scope: t.scope,
      expires_at: new Date(t.exp * 1000).toISOString(),
    };
  });
  // An example of a scope-guarded route (RFC 6750 §3.1 insufficient_scope).
  app.get('/api/v1/invoices', { preHandler: requireBearer(s, 'invoices:read') }, async (request) => ({
    org_id: request.token!.org_id,
    invoices: [],
  }));
}
