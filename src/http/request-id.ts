import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';

/** A caller's x-request-id is kept when it is a plain token of sane length; anything else is replaced. */
const sane = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Fastify's genReqId: every log line of a request carries this id (pino's `reqId`), so a caller or
 * proxy that sends x-request-id can find its request in our logs. Never taken unchecked: it lands in
 * logs and in a response header.
 */
export function requestId(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && sane.test(given) ? given : randomUUID();
}

/**
 * Returns the id on every response (errors and 404s included). Log lines get it from `request.log`
 * (Fastify's `reqId` binding; src/logger.ts requestLogger), which handlers pass on to the core.
 */
export function registerRequestId(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
}
