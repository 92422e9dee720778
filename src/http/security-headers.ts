import type { FastifyInstance } from 'fastify';

/**
 * Defaults for every response: nothing may frame us (RFC 9700 §4.16), nothing is cached unless a
 * route says so (RFC 6749 §5.1 no-store for token responses), and JSON responses allow no content at
 * all. Pages replace the CSP with their own strict one.
 */
export const apiCsp = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const defaults = {
  'cache-control': 'no-store',
  pragma: 'no-cache',
  'content-security-policy': apiCsp,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

export function registerSecurityHeaders(app: FastifyInstance): void {
  // A callback hook, not an async one: it runs on every request, and a promise per request costs.
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(defaults);
    done();
  });
}
