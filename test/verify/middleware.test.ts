import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { clientCredentials } from '@latchkey/client';
import {
  type AuthGuard,
  bearerAuth,
  createVerifier,
  fastifyBearerAuth,
  getAuth,
  requireScope,
  type Verifier,
} from '@latchkey/verify';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Latchkey, startLatchkey } from '../helpers/latchkey.ts';
import { tamper } from './craft.ts';

let lk: Latchkey;
let verifier: Verifier;
let readToken: string;

beforeAll(async () => {
  lk = await startLatchkey();
  verifier = createVerifier({ issuer: lk.issuer, audience: lk.issuer });
  const client = await lk.createClient({ scopes: ['invoices:read'] });
  readToken = await clientCredentials({
    issuer: lk.issuer,
    clientId: client.clientId,
    clientSecret: client.clientSecret,
  }).getToken();
});
afterAll(() => lk.close());

interface Answer {
  status: number;
  challenge: string | null;
  body: Record<string, unknown>;
}

/** The same expectations hold whichever framework runs the guards. */
function describeGuards(name: string, call: (path: string, authorization?: string) => Promise<Answer>) {
  describe(name, () => {
    it('lets a valid token through and exposes its claims', async () => {
      const answer = await call('/invoices', `Bearer ${readToken}`);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ org_id: lk.orgId, scopes: ['invoices:read'] });
    });

    it('answers a request without a token 401 with a bare challenge (RFC 6750 §3.1)', async () => {
      for (const authorization of [undefined, 'Basic dXNlcjpwYXNz']) {
        const answer = await call('/invoices', authorization);
        expect(answer.status).toBe(401);
        expect(answer.challenge).toBe('Bearer realm="invoices-api"');
      }
    });

    it('answers a bad token 401 invalid_token with the reason', async () => {
      const answer = await call('/invoices', `Bearer ${tamper(readToken, { scope: 'invoices:write' })}`);
      expect(answer.status).toBe(401);
      expect(answer.challenge).toBe(
        'Bearer realm="invoices-api", error="invalid_token", error_description="token signature is invalid"',
      );
      expect(answer.body).toEqual({
        error: 'invalid_token',
        error_description: 'token signature is invalid',
      });
    });

    it('answers a malformed header 400 invalid_request', async () => {
      const answer = await call('/invoices', 'Bearer two words');
      expect(answer.status).toBe(400);
      expect(answer.challenge).toMatch(/^Bearer realm="invoices-api", error="invalid_request"/);
    });

    it('answers a missing scope 403 insufficient_scope naming it', async () => {
      const answer = await call('/invoices/new', `Bearer ${readToken}`);
      expect(answer.status).toBe(403);
      expect(answer.challenge).toBe(
        'Bearer realm="invoices-api", error="insufficient_scope", error_description="requires scope: invoices:write", scope="invoices:write"',
      );
      expect(answer.body.error).toBe('insufficient_scope');
    });
  });
}

let fastifyApp: FastifyInstance;
describeGuards('Fastify plugin', async (path, authorization) => {
  if (!fastifyApp) {
    fastifyApp = Fastify();
    await fastifyApp.register(async (api) => {
      await api.register(fastifyBearerAuth, { verifier, realm: 'invoices-api' });
      api.get('/invoices', async (request) => getAuth(request));
      api.post('/invoices/new', { preHandler: requireScope('invoices:write') }, async () => ({
        created: true,
      }));
    });
    fastifyApp.get('/health', async () => ({ ok: true }));
  }
  const response = await fastifyApp.inject({
    method: path.endsWith('/new') ? 'POST' : 'GET',
    url: path,
    headers: authorization ? { authorization } : {},
  });
  return {
    status: response.statusCode,
    challenge: (response.headers['www-authenticate'] as string) ?? null,
    body: response.json(),
  };
});

let nodeServer: Server;
let nodeUrl: string;
/** Express runs middleware in order with next(); this is that, on plain node:http. */
function chain(...guards: AuthGuard[]) {
  return (req: Parameters<AuthGuard>[0], res: Parameters<AuthGuard>[1], done: () => void) => {
    const run = (i: number) => (i === guards.length ? done() : guards[i]!(req, res, () => run(i + 1)));
    run(0);
  };
}
describeGuards('Express-style middleware', async (path, authorization) => {
  if (!nodeServer) {
    const auth = bearerAuth(verifier, { realm: 'invoices-api' });
    nodeServer = createServer((req, res) => {
      const guards = req.url === '/invoices/new' ? [auth, requireScope('invoices:write')] : [auth];
      chain(...guards)(req, res, () => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(getAuth(req)));
      });
    });
    await new Promise<void>((resolve) => nodeServer.listen(0, '127.0.0.1', resolve));
    nodeUrl = `http://127.0.0.1:${(nodeServer.address() as AddressInfo).port}`;
  }
  const response = await fetch(`${nodeUrl}${path}`, {
    method: path.endsWith('/new') ? 'POST' : 'GET',
    headers: authorization ? { authorization } : {},
  });
  return {
    status: response.status,
    challenge: response.headers.get('www-authenticate'),
    body: (await response.json()) as Record<string, unknown>,
  };
});

describe('guard placement', () => {
  it('leaves Fastify routes outside the plugin scope open', async () => {
    const response = await fastifyApp.inject({ method: 'GET', url: '/health' });
    expect(response.statusCode).toBe(200);
  });

  it('can guard the root and a child scope at once', async () => {
    const app = Fastify();
    await app.register(fastifyBearerAuth, { verifier });
    await app.register(async (child) => {
      await child.register(fastifyBearerAuth, { verifier, scopes: ['invoices:read'] });
      child.get('/child', async () => ({}));
    });
    const response = await app.inject({
      method: 'GET',
      url: '/child',
      headers: { authorization: `Bearer ${readToken}` },
    });
    expect(response.statusCode).toBe(200);
  });

  it('requireScope without bearerAuth before it answers 401', async () => {
    const app = Fastify();
    app.get('/x', { preHandler: requireScope('a') }, async () => ({}));
    expect((await app.inject({ method: 'GET', url: '/x' })).statusCode).toBe(401);
  });

  it('bearerAuth({ scopes }) requires them on every request', async () => {
    const app = Fastify();
    app.addHook('onRequest', bearerAuth(verifier, { scopes: ['payments:read'] }));
    app.get('/x', async () => ({}));
    const response = await app.inject({
      method: 'GET',
      url: '/x',
      headers: { authorization: `Bearer ${readToken}` },
    });
    expect(response.statusCode).toBe(403);
    expect(response.headers['www-authenticate']).toMatch(
      /realm="http:\/\/127\.0\.0\.1:\d+".*scope="payments:read"/,
    );
  });

  it('answers 503 without a challenge when the keys cannot be fetched', async () => {
    const unreachable = createVerifier({ issuer: 'http://127.0.0.1:9', audience: 'api' });
    const app = Fastify();
    app.addHook('onRequest', bearerAuth(unreachable));
    app.get('/x', async () => ({}));
    const response = await app.inject({
      method: 'GET',
      url: '/x',
      headers: { authorization: `Bearer ${readToken}` },
    });
    expect(response.statusCode).toBe(503);
    expect(response.headers['www-authenticate']).toBeUndefined();
    expect(response.json()).toMatchObject({ error: 'temporarily_unavailable' });
  });
});

afterAll(async () => {
  await fastifyApp?.close();
  await new Promise((resolve) => nodeServer?.close(resolve));
});
