import type { FastifyInstance, HTTPMethods } from 'fastify';
import { pushAuthorizationRequest } from '../oauth/authorize-par.ts';
import { OAuthError } from '../oauth/errors.ts';
import { introspect } from '../oauth/introspection.ts';
import { authorizationServerMetadata } from '../oauth/metadata.ts';
import { revoke } from '../oauth/revocation.ts';
import { receiveLeakReport, verifyScanningSignature } from '../oauth/secret-scanning.ts';
import { grantTypeLabel, handleTokenRequest } from '../oauth/token.ts';
import type { Services } from '../services.ts';
import { endOfTurn } from '../turn.ts';
import { bodyLimit, bodyParams } from './body.ts';
import type { Metrics } from './metrics.ts';
import { forRequest } from './request-services.ts';

/** RFC 9110 §15.5.6: 405 with `Allow` for the methods a path does not take. `shown`: the path in words. */
export const onlyMethods = (
  app: FastifyInstance,
  url: string,
  allowed: readonly HTTPMethods[],
  shown = url,
): void => {
  const methods: HTTPMethods[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
  app.route({
    method: methods.filter((m) => !allowed.includes(m)),
    url,
    handler: async (_request, reply) =>
      reply
        .status(405)
        .header('allow', allowed.join(', '))
        .send({ error: 'invalid_request', error_description: `${shown} accepts ${allowed.join(', ')} only` }),
  });
};
const postOnly = (app: FastifyInstance, url: string): void => onlyMethods(app, url, ['POST']);

/** The well-known names of the one metadata document (RFC 8414 §3, OpenID Connect Discovery 1.0 §4). */
const metadataNames = ['oauth-authorization-server', 'openid-configuration'];

/**
 * RFC 8414 §3.1: under an issuer with a path, the metadata URL inserts the well-known segment
 * between host and path (`/.well-known/oauth-authorization-server/auth`). Registered at the root, outside
 * the base path; `{issuer}/.well-known/…` (below) keeps answering too, since clients that append the
 * suffix to the issuer exist, and OpenID Connect Discovery 1.0 §4.1 appends it.
 */
export async function pathInsertedMetadata(
  app: FastifyInstance,
  opts: { services: Services },
): Promise<void> {
  const metadata = authorizationServerMetadata(opts.services.config);
  for (const name of metadataNames) {
    app.get(`/.well-known/${name}${opts.services.config.basePath}`, async (_request, reply) =>
      reply.header('cache-control', 'public, max-age=300').send(metadata),
    );
  }
}

/** Token, introspection and revocation endpoints, and the metadata that names them. */
export async function oauthEndpoints(
  app: FastifyInstance,
  opts: { services: Services; metrics: Metrics },
): Promise<void> {
  const s = opts.services;
  const metadata = authorizationServerMetadata(s.config);

  for (const name of metadataNames) {
    app.get(`/.well-known/${name}`, async (_request, reply) =>
      reply.header('cache-control', 'public, max-age=300').send(metadata),
    );
  }

  app.post('/oauth/token', { bodyLimit }, async (request, reply) => {
    const params = bodyParams(request);
    try {
      const response = await handleTokenRequest(
        { params, authorization: request.headers.authorization, ip: request.ip, dpop: request.headers.dpop },
        forRequest(s, request),
      );
      opts.metrics.tokens.inc({ grant_type: grantTypeLabel(params), outcome: 'issued' });
      return reply.send(response);
    } catch (error) {
      // Labels never take the caller's text: each distinct value would be a new time series.
      const code = error instanceof OAuthError ? error.code : 'server_error';
      opts.metrics.tokens.inc({ grant_type: grantTypeLabel(params), outcome: code });
      throw error;
    }
  });
  postOnly(app, '/oauth/token');

  // RFC 9126 §2.2: 201 with the request_uri.
  app.post('/oauth/par', { bodyLimit }, async (request, reply) =>
    reply
      .status(201)
      .send(
        await pushAuthorizationRequest(
          bodyParams(request),
          request.headers.authorization,
          request.ip,
          forRequest(s, request),
        ),
      ),
  );
  postOnly(app, '/oauth/par');

  await app.register(secretScanningEndpoint, { services: s });

  app.post('/oauth/introspect', { bodyLimit }, async (request) => {
    const answer = await introspect(
      bodyParams(request),
      request.headers.authorization,
      request.ip,
      forRequest(s, request),
    );
    // Answered at the end of the turn, back to back with the turn's other answers (src/turn.ts).
    await endOfTurn();
    return answer;
  });
  postOnly(app, '/oauth/introspect');

  app.post('/oauth/revoke', { bodyLimit }, async (request, reply) => {
    await revoke(bodyParams(request), request.headers.authorization, request.ip, forRequest(s, request));
    return reply.status(200).send();
  });
  postOnly(app, '/oauth/revoke');
}

/**
 * POST /security/secret-scanning: in a context of its own, whose JSON parser keeps the body as text,
 * since the scanner's signature covers the exact bytes sent.
 */
async function secretScanningEndpoint(app: FastifyInstance, opts: { services: Services }): Promise<void> {
  const s = opts.services;
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: 1_048_576 },
    (_r, body, done) => done(null, body),
  );
  app.post('/security/secret-scanning', async (request) => {
    const body = typeof request.body === 'string' ? request.body : '';
    const header = (name: string) => {
      const value = request.headers[name];
      return typeof value === 'string' ? value : undefined;
    };
    verifyScanningSignature(
      body,
      header('github-public-key-identifier'),
      header('github-public-key-signature'),
      s.config,
    );
    return receiveLeakReport(body, forRequest(s, request));
  });
}
