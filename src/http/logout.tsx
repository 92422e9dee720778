import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { VNode } from 'preact';
import type { SessionUser } from '../accounts/sessions.ts';
import type { RawQuery } from '../oauth/authorize-validation.ts';
import {
  type LogoutDeps,
  type LogoutRequest,
  type LogoutRequestPage,
  logoutRedirectUrl,
  logoutStep,
  validateLogoutRequest,
} from '../oauth/logout.ts';
import type { Services } from '../services.ts';
import { CsrfField, sendMessagePage, sendPage } from './page.tsx';
import { clearSessionCookie, currentUser, formField, requireCsrf } from './session.ts';
import { urlFor, useUrl } from './urls.ts';

/**
 * RP-Initiated Logout 1.0 (`end_session_endpoint`): GET and POST /oauth/logout. The protocol is in
 * src/oauth/logout.ts; these routes read the request, end the session and render the outcome. The
 * confirmation page posts back here with `confirm` and the session's CSRF token; its hidden fields
 * are checked against the registration again, as if the software had sent them.
 */
export async function logoutPages(app: FastifyInstance, opts: { services: Services }): Promise<void> {
  const s = opts.services;
  const deps: LogoutDeps = s;

  const handle = async (request: FastifyRequest, reply: FastifyReply, params: RawQuery) => {
    // After a GET the browser follows a 302; after a form's POST, 303 (it then GETs).
    const status = request.method === 'GET' ? 302 : 303;
    const confirmed = request.method === 'POST';
    const user = await currentUser(request, s);
    if (confirmed && user) {
      // The check as a preHandler would make it. Its answer is the reply, a thenable, which an await
      // unwraps: whether it refused is told by the reply being sent.
      await requireCsrf(request, reply);
      if (reply.sent) return reply;
    }
    const outcome = await validateLogoutRequest(params, deps);
    if (outcome.kind === 'page') return sendLogoutRequestPage(reply, outcome, user);
    const step = confirmed && user ? 'sign_out' : logoutStep(outcome, user?.userId);
    if (step === 'confirm') return sendConfirmPage(reply, outcome, user!);
    if (step === 'sign_out') {
      // The same as POST /logout: the session ends here and its cookie goes.
      await s.store.sessions.delete(user!.sessionId);
      clearSessionCookie(reply, s);
      request.log.info({ user_id: user!.userId, client_id: outcome.client?.id }, 'signed out by the app');
    }
    const back = logoutRedirectUrl(outcome);
    if (back) return reply.redirect(back, status);
    return sendMessagePage(reply, {
      status: 200,
      title: 'You are signed out',
      message: outcome.client
        ? `You are signed out of Latchkey. You can close this page and go back to ${outcome.client.name}.`
        : 'You are signed out of Latchkey.',
      link: { href: urlFor(request, '/login'), text: 'Sign in again' },
    });
  };

  app.get('/oauth/logout', (request, reply) => handle(request, reply, request.query as RawQuery));
  // §2: the software may send its request as a form POST too. From its site that POST carries no
  // SameSite=Lax session cookie, so it is turned into the GET (a top-level navigation, which does).
  // The confirmation page posts here with `confirm`, from this site.
  app.post('/oauth/logout', (request, reply) => {
    const body = (request.body && typeof request.body === 'object' ? request.body : {}) as RawQuery;
    if (formField(request, 'confirm') !== undefined) return handle(request, reply, body);
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(body)) {
      for (const v of [value ?? []].flat()) query.append(name, v);
    }
    return reply.redirect(`${urlFor(request, '/oauth/logout')}?${query}`, 303);
  });
}

const refusals: Record<LogoutRequestPage['reason'], string> = {
  parameter_repeated: 'A parameter of the request appears more than once.',
  invalid_hint:
    'The app sent an ID token that was not issued here, or that can no longer be checked, to say who is signing out.',
  client_mismatch: 'The app named itself differently in client_id and in its ID token.',
  unknown_client: 'The app that asked is not known here, or its credentials were deleted.',
  client_needed:
    'The app asked to send you back after signing out, but did not say who it is (no client_id or ID token), so Latchkey cannot check where it may send you.',
  redirect_uri_not_registered: '',
};

/** A request that cannot be followed: 400, no redirect (§2, §3), and the way to sign out anyway. */
function sendLogoutRequestPage(
  reply: FastifyReply,
  page: LogoutRequestPage,
  user: SessionUser | undefined,
): FastifyReply {
  const message =
    page.reason === 'redirect_uri_not_registered' ? (
      <>
        <strong>{page.client.name}</strong> asked to send you to <code class="code">{page.requested}</code>{' '}
        after signing out. That address is not registered for it, so for your security you are not sent there,
        and nothing was changed.
      </>
    ) : (
      `${refusals[page.reason]} For your security, nothing was changed.`
    );
  return sendMessagePage(reply, {
    status: 400,
    title: 'This sign-out request cannot be followed',
    message,
    user,
    ...(user && { link: { href: urlFor(reply.request, '/oauth/logout'), text: 'Sign out of Latchkey' } }),
  });
}

/** "Sign out of Latchkey?" (§2: no hint, or one for someone else). */
function sendConfirmPage(reply: FastifyReply, request: LogoutRequest, user: SessionUser): FastifyReply {
  return sendPage(reply, {
    title: 'Sign out?',
    // No header controls: their own "Sign out" button would stand beside this one.
    // Chromium applies form-action to the redirect that follows the POST: allow the app's origin.
    formAction: request.redirectUri,
    body: <ConfirmSignOut request={request} user={user} />,
  });
}

function ConfirmSignOut({ request, user }: { request: LogoutRequest; user: SessionUser }): VNode {
  const url = useUrl();
  const { client, redirectUri, state } = request;
  return (
    <div class="narrow">
      <div class="card stack">
        <h1>Sign out of Latchkey?</h1>
        <p>
          {client ? <strong>{client.name}</strong> : 'An app'} asks to sign you out. You are signed in as{' '}
          <strong>{user.email}</strong>.
        </p>
        {request.hintSubject !== undefined && (
          <p class="notice">The app asked to sign out another account than yours.</p>
        )}
        <form method="post" action={url('/oauth/logout')}>
          <CsrfField user={user} />
          {client && <input type="hidden" name="client_id" value={client.id} />}
          {redirectUri && <input type="hidden" name="post_logout_redirect_uri" value={redirectUri} />}
          {state !== undefined && <input type="hidden" name="state" value={state} />}
          <div class="actions">
            <button type="submit" name="confirm" value="yes">
              Sign out
            </button>
            <a class="button button-secondary" href={url('/')}>
              Stay signed in
            </a>
          </div>
        </form>
      </div>
    </div>
  );
}
