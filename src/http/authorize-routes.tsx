// The authorization endpoint's routes (/oauth/authorize, /consent): read the request, render the outcome.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { SessionUser } from '../accounts/sessions.ts';
import {
  type AuthorizationFlowDeps,
  type ConsentNeeded,
  decide,
  type Finished,
  type PendingRequestPage,
  resumeAuthorization,
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
  };

  app.get('/oauth/authorize', async (request, reply) => {
    const user = await currentUser(request, s);
    const outcome = await startAuthorization(request.query as RawQuery, user, flow, request.ip);
    if (outcome.kind === 'page') return sendAuthorizationRequestPage(reply, outcome, s.config.environment);
    if (outcome.kind === 'redirect') return reply.redirect(outcome.url, 302);
    const consent = `${urlFor(request, '/consent')}?request=${encodeURIComponent(outcome.pendingId)}`;
    const login = `${urlFor(request, '/login')}?next=${encodeURIComponent(consent)}`;
    return reply.redirect(user ? consent : login, 302);
  });

  /** Redirects after a GET are 302; after the consent form's POST, 303 (the browser then GETs). */
  const render = (
    reply: FastifyReply,
    outcome: PendingRequestPage | AuthorizationRedirect | ConsentNeeded | Finished,
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
