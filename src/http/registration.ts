import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  admitRegistration,
  deleteRegistration,
  readRegistration,
  registerClient,
  replaceRegistration,
} from '../oauth/dynamic-registration.ts';
import { OAuthError } from '../oauth/errors.ts';
import type { Services } from '../services.ts';
import { bodyLimit } from './body.ts';
import { onlyMethods } from './oauth-endpoints.ts';
import { forRequest } from './request-services.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who registers (src/oauth/dynamic-registration.ts `admitRegistration`). */
    registrar?: string;
  }
}

/** RFC 7591 §3.1: client metadata is sent as a JSON document, nothing else. */
function requireJson(request: FastifyRequest): void {
  const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json')
    throw new OAuthError('invalid_request', 'Send the client metadata as application/json (RFC 7591 §3.1)', {
      status: 415,
    });
}

/**
 * Dynamic client registration (RFC 7591 §3) and management (RFC 7592 §2): routed only while
 * LATCHKEY_DYNAMIC_REGISTRATION is not `off`, so that when it is the endpoints do not exist (404).
 * Answers carry `Cache-Control: no-store` (./security-headers.ts): they hold secrets.
 */
export async function registrationEndpoints(
  app: FastifyInstance,
  opts: { services: Services },
): Promise<void> {
  const s = opts.services;
  if (s.config.dynamicRegistration === 'off') return;
  const authorization = (request: FastifyRequest) => request.headers.authorization;

  app.post(
    '/oauth/register',
    {
      bodyLimit,
      // Before the body is read: the per-address count, or the initial access token.
      onRequest: async (request) => {
        request.registrar = await admitRegistration(
          authorization(request),
          request.ip,
          forRequest(s, request),
        );
      },
    },
    async (request, reply) => {
      requireJson(request);
      return reply
        .status(201)
        .send(await registerClient(request.body, request.registrar!, forRequest(s, request)));
    },
  );
  onlyMethods(app, '/oauth/register', ['POST']);

  const path = '/oauth/register/:clientId';
  type Managed = { Params: { clientId: string } };
  app.get<Managed>(path, async (request) =>
    readRegistration(request.params.clientId, authorization(request), forRequest(s, request)),
  );
  app.put<Managed>(path, { bodyLimit }, async (request) => {
    requireJson(request);
    return replaceRegistration(
      request.params.clientId,
      request.body,
      authorization(request),
      forRequest(s, request),
    );
  });
  app.delete<Managed>(path, async (request, reply) => {
    await deleteRegistration(request.params.clientId, authorization(request), forRequest(s, request));
    return reply.status(204).send();
  });
  onlyMethods(app, path, ['GET', 'PUT', 'DELETE'], '/oauth/register/{client_id}');
}
