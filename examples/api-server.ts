/**
 * A small API protected by Latchkey access tokens, the way the platform's API developers use
 * @latchkey/verify: the Fastify plugin checks every request, requireScope() guards single routes.
 *
 *   node --import tsx examples/api-server.ts      # listens on http://localhost:4000
 *
 * See examples/README.md for installing @latchkey/verify in your API's project.
 */

import { createVerifier, fastifyBearerAuth, getAuth, requireScope } from '@latchkey/verify';
import Fastify from 'fastify';

const issuer = process.env.LATCHKEY_ISSUER ?? 'http://localhost:3000'; // exactly the tokens' `iss`
const port = Number(process.env.PORT ?? 4000);

const verifier = createVerifier({
  issuer,
  // Latchkey's `aud` is LATCHKEY_AUDIENCE, which defaults to the issuer URL.
  audience: process.env.LATCHKEY_AUDIENCE ?? issuer,
  // Set these to check every request with the issuer (RFC 7662), so revocations count at once.
  ...(process.env.API_CLIENT_ID && process.env.API_CLIENT_SECRET
    ? { introspection: { clientId: process.env.API_CLIENT_ID, clientSecret: process.env.API_CLIENT_SECRET } }
    : {}),
});

const app = Fastify({ logger: { level: 'info' } });
const invoices: { id: number; org_id: string; amount: number; currency: string }[] = [];

app.get('/healthz', async () => ({ ok: true })); // outside the protected scope below

await app.register(async (api) => {
  await api.register(fastifyBearerAuth, { verifier, realm: 'invoices-api' });

  api.get('/invoices', { preHandler: requireScope('invoices:read') }, async (request) => {
    const { org_id } = getAuth(request)!;
    // The token is bound to one organization: it only ever sees that organization's data.
    return invoices.filter((invoice) => invoice.org_id === org_id);
  });

  api.post<{ Body: { amount: number; currency: string } }>(
    '/invoices',
    { preHandler: requireScope('invoices:write') },
    async (request, reply) => {
      const { org_id } = getAuth(request)!;
      const invoice = {
        id: invoices.length + 1,
        org_id,
        amount: request.body.amount,
        currency: request.body.currency,
      };
      invoices.push(invoice);
      return reply.code(201).send(invoice);
    },
  );
});

await app.listen({ port, host: '127.0.0.1' });
