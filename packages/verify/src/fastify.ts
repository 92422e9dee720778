import type { AuthGuard } from './middleware.ts';
import { type BearerAuthOptions, bearerAuth } from './middleware.ts';
import type { Verifier } from './verifier.ts';

/** The Fastify instance methods the plugin uses (typed structurally: no dependency on fastify). */
export interface FastifyInstanceLike {
  hasRequestDecorator(property: string): boolean;
  decorateRequest(property: string, value: null): unknown;
  addHook(name: 'onRequest', hook: AuthGuard): unknown;
}

export interface FastifyBearerAuthOptions extends BearerAuthOptions {
  verifier: Verifier;
}

/**
 * Fastify plugin: every route registered in the same scope (and below) needs a valid Bearer token.
 * `app.register(fastifyBearerAuth, { verifier })`; then `{ preHandler: requireScope('invoices:read') }`
 * per route, and `request.auth` (or getAuth(request)) for the claims.
 * Marked skip-override (what fastify-plugin does) so the hook reaches the scope it is registered in.
 */
export function fastifyBearerAuth(
  fastify: FastifyInstanceLike,
  options: FastifyBearerAuthOptions,
  done: (error?: Error) => void,
): void {
  // Declared up front so Fastify keeps one request shape (its guidance for decorations); once is
  // enough when the plugin guards several scopes.
  if (!fastify.hasRequestDecorator('auth')) fastify.decorateRequest('auth', null);
  fastify.addHook('onRequest', bearerAuth(options.verifier, options));
  done();
}

Object.assign(fastifyBearerAuth, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'latchkey-bearer-auth',
});
