import type { FastifyError, FastifyInstance } from 'fastify';
import { OAuthError } from '../oauth/errors.ts';

/**
 * The one place an error becomes a response. OAuthError carries its own status and headers; Fastify's
 * own errors (413 body too large, 415 media type, 400 bad JSON) keep their status with an RFC 6749
 * §5.2 body; anything else is a 500 that is logged and never leaks its message.
 */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | OAuthError, request, reply) => {
    if (error instanceof OAuthError) {
      reply.headers(error.headers);
      return reply.status(error.status).send(error.toJSON());
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
