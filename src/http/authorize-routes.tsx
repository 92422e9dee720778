// The authorization endpoint's routes (/oauth/authorize, /consent): read the request, render the outcome.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SessionUser } from '../accounts/sessions.ts';
import {
  type AuthorizationFlowDeps,
  type ConsentNeeded,
  decide,
  type Finished,
  type PendingRequestPage,
  resumeAuthorization,
  type SignInNeeded,
  startAuthorization,
} from '../oauth/authorize-flow.ts';
import type { AuthorizationRedirect, RawQuery } from '../oauth/authorize-validation.ts';
import type { Services } from '../services.ts';
import { sendAuthorizationRequestPage, sendConsentPage, sendPendingRequestPage } from './authorize-pages.tsx';
import { currentUser, formField, requireCsrf, requireUser } from './session.ts';
import { urlFor } from './urls.ts';

/**
 * The authorization endpoint (RFC 6749 §4.1) and the consent page. The protocol, step by step, is in
 * src/oauth/authorize-flow.ts; these routes read the request and render the outcome.
 */
export async function authorizePages(app: FastifyInstance, opts: { services: Services }): Promise<void> {
  const s = opts.services;
  const flow: AuthorizationFlowDeps = {
    store: s.store,
    config: s.config,
    clock: s.clock,
    limiter: s.limiter,
    clientDocuments: s.clientDocuments,
  };

  app.get('/oauth/authorize', async (request, reply) => {
    const user = await currentUser(request, s);
    const outcome = await startAuthorization(request.query as RawQuery, user, flow, request.ip);
    if (outcome.kind === 'page') return sendAuthorizationRequestPage(reply, outcome, s.config.environment);
    if (outcome.kind === 'redirect') return reply.redirect(outcome.url, 302);
    return reply.redirect(outcome.signIn ? signInUrl(request, outcome) : consentUrl(request, outcome), 302);
  });

  const consentUrl = (request: FastifyRequest, o: { pendingId: string }) =>
    `${urlFor(request, '/consent')}?request=${encodeURIComponent(o.pendingId)}`;
  // The sign-in page shows its form even with a session when the parked request asks for a new
  // sign-in (src/oauth/prompt.ts): it reads that from the request behind `next`.
  const signInUrl = (request: FastifyRequest, o: { pendingId: string }) =>
    `${urlFor(request, '/login')}?next=${encodeURIComponent(consentUrl(request, o))}`;

  /** Redirects after a GET are 302; after the consent form's POST, 303 (the browser then GETs). */
  const render = (
    reply: FastifyReply,
    outcome: PendingRequestPage | AuthorizationRedirect | ConsentNeeded | Finished | SignInNeeded,
    user: SessionUser,
    status: 302 | 303,
  ): FastifyReply => {
    switch (outcome.kind) {
      case 'page':
        return sendPendingRequestPage(reply, outcome, user);
      case 'redirect':
        return reply.redirect(outcome.url, status);
      case 'consent':
        return sendConsentPage(reply, outcome, user, s.config);
      case 'finished':
        return reply.redirect(urlFor(reply.request, '/'), 303);
      case 'sign_in':
        return reply.redirect(signInUrl(reply.request, outcome), status);
    }
  };

  app.get('/consent', { preHandler: requireUser(s) }, async (request, reply) => {
    const user = request.user!;
    const { request: id } = request.query as { request?: unknown };
    const outcome = await resumeAuthorization(typeof id === 'string' ? id : undefined, user, flow);
    return render(reply, outcome, user, 302);
  });

  app.post('/consent', { preHandler: [requireUser(s), requireCsrf] }, async (request, reply) => {
    const user = request.user!;
    const field = (name: string) => formField(request, name);
    const outcome = await decide(field('request'), user, field('decision'), field('org_id'), flow);
    return render(reply, outcome, user, 303);
  });
}
