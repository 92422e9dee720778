import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';

/**
 * The services as one request's handlers see them: the same objects, with `log` replaced by the
 * request's logger, so the core's lines (a failed client authentication, a replayed code) carry the
 * request id without the core ever seeing a request. A prototype link, not a copy: one small object
 * per request. So it is not the services object itself: never spread it, nor key a WeakMap by it.
 */
export function forRequest<S extends { readonly log: unknown }>(s: S, request: FastifyRequest): S {
  const scoped = Object.create(s) as { log: Logger };
  scoped.log = request.log as Logger;
  return scoped as unknown as S;
}
