import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { OAuthError } from '../oauth/errors.ts';
import { StoreUnavailableError } from '../store/errors.ts';
import { sendMessagePage } from './page.tsx';
import { routePath } from './urls.ts';

// Paths whose callers are programs, answered in JSON; every other path is a page a person sees.
const apiPath = /^\/(oauth\/(?!authorize)|api\/|\.well-known\/|pem|healthz|readyz|metrics)/;
const isPage = (request: FastifyRequest): boolean =>
  !apiPath.test(routePath(request.server.latchkeyBasePath ?? '', request.url));
// How long a client should wait before trying again while the database is away (RFC 9110 §10.2.3).
const retryAfterSeconds = '5';

/**
 * The one place an error becomes a response. OAuthError carries its own status and headers; Fastify's
 * own errors (413 body too large, 415 media type, 400 bad JSON) keep their status with an RFC 6749
 * §5.2 body; the database being away is a 503 `temporarily_unavailable` (RFC 6749 §4.1.2.1), or a
 * page that says so; anything else is a 500 that is logged and never leaks its message.
 */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | OAuthError, request, reply) => {
    if (error instanceof OAuthError) {
      reply.headers(error.headers);
      return reply.status(error.status).send(error.toJSON());
    }
    if (error instanceof StoreUnavailableError) {
      request.log.info({ reason: error.message, code: error.code }, 'database unavailable');
      reply.header('retry-after', retryAfterSeconds);
      if (isPage(request))
        return sendMessagePage(reply, {
          status: 503,
          title: 'Temporarily unavailable',
          message: 'Latchkey cannot reach its database right now. Please try again in a minute.',
        });
      return reply.status(503).send({
        error: 'temporarily_unavailable',
        error_description: 'The service is temporarily unavailable; try again shortly',
      });
    }
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed');
      return reply
        .status(500)
        .send({ error: 'server_error', error_description: 'Internal error; it was logged' });
    }
    const description =
      status === 415
        ? 'Send the body as application/x-www-form-urlencoded or application/json'
        : status === 413
          ? 'The request body is too large (64 KiB at most)'
          : error.message;
    return reply.status(status).send({ error: 'invalid_request', error_description: description });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      error: 'not_found',
      error_description: `No route for ${request.method} ${request.url.split('?')[0]}`,
    }),
  );
}
