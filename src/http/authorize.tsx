import type { FastifyInstance, FastifyReply } from 'fastify';
import type { SessionUser } from '../accounts/sessions.ts';
import {
  type AuthorizationPageError,
  authorizationResponseUrl,
  errorResponseUrl,
  type RawQuery,
  validateAuthorizationRequest,
} from '../oauth/authorize.ts';
import { consentState, issueAuthorizationCode } from '../oauth/consent.ts';
import { OAuthError } from '../oauth/errors.ts';
import { formatScope, parseScope } from '../oauth/scope.ts';
import type { Services } from '../services.ts';
import type { PendingAuthorization } from '../store/authorization-requests.ts';
import type { Client } from '../store/clients.ts';
import { CsrfField, ErrorSummary, sendMessagePage, sendPage } from './page.tsx';
import { currentUser, formField, requireCsrf, requireUser } from './session.ts';

/** How long a person has to sign in and decide before the request must start again. */
const pendingTtlMs = 10 * 60_000;

/**
 * The authorization endpoint (RFC 6749 §4.1) and the consent page. Errors about the client or the
 * redirect URI are pages; every other error goes back to the client with `state` and `iss` (RFC 9207).
 */
export async function authorizePages(app: FastifyInstance, opts: { services: Services }): Promise<void> {
  const s = opts.services;
  const issuer = s.config.issuer;

  // Housekeeping: expired sessions, parked requests and codes go. A used code is kept a day past its
  // expiry so a late replay still revokes what it issued (RFC 6749 §4.1.2).
  const prune = async (): Promise<void> => {
    const now = s.clock();
    await s.store.sessions.prune();
    await s.store.authorizationRequests.prune(now);
    await s.store.codes.prune(now - 86_400_000);
  };
  const timer = setInterval(() => {
    prune().catch((error) => s.log.warn({ err: error }, 'could not prune expired sessions and codes'));
  }, 10 * 60_000);
  timer.unref();
  app.addHook('onClose', async () => clearInterval(timer));

  const redirectError = (
    reply: FastifyReply,
    pending: PendingAuthorization,
    error: OAuthError,
    status = 302,
  ) =>
    reply.redirect(
      errorResponseUrl(
        { redirectUri: pending.redirectUri, state: pending.state ?? undefined, error },
        issuer,
      ),
      status,
    );

  app.get('/oauth/authorize', async (request, reply) => {
    const v = await validateAuthorizationRequest(request.query as RawQuery, s);
    if (v.kind === 'page') return sendAuthorizeErrorPage(reply, v, s);
    if (v.kind === 'redirect') return reply.redirect(errorResponseUrl(v, issuer), 302);
    const r = v.request;
    const user = await currentUser(request, s);
    if (!user && r.prompt.includes('none')) {
      return reply.redirect(
        errorResponseUrl(
          {
            redirectUri: r.redirectUri,
            state: r.state,
            error: new OAuthError('login_required', 'The person is not signed in'),
          },
          issuer,
        ),
        302,
      );
    }
    const now = s.clock();
    const pending = await s.store.authorizationRequests.create({
      clientId: r.client.id,
      redirectUri: r.redirectUri,
      redirectUriSent: r.redirectUriSent,
      scope: formatScope(r.scope),
      state: r.state ?? null,
      codeChallenge: r.codeChallenge ?? null,
      prompt: r.prompt.join(' ') || null,
      createdAt: now,
      expiresAt: now + pendingTtlMs,
    });
    const consent = `/consent?request=${encodeURIComponent(pending.id)}`;
    return reply.redirect(user ? consent : `/login?next=${encodeURIComponent(consent)}`, 302);
  });

  async function load(id: string | undefined, reply: FastifyReply, user: SessionUser) {
    const pending = id ? await s.store.authorizationRequests.find(id, s.clock()) : undefined;
    const client = pending && (await s.store.clients.find(pending.clientId));
    if (!pending || !client) {
      sendMessagePage(reply, {
        status: 400,
        user,
        title: 'This request has expired',
        message:
          'Connecting an app has to be finished within 10 minutes, and each request works once. Go back to the app and start connecting again.',
      });
      return undefined;
    }
    // The registration may have changed while the person signed in (RFC 9700 §4.1): a removed
    // redirect URL or a withdrawn code grant ends the request here, without a redirect.
    if (
      !client.redirectUris.includes(pending.redirectUri) ||
      !client.grantTypes.includes('authorization_code')
    ) {
      await s.store.authorizationRequests.take(pending.id);
      sendMessagePage(reply, {
        status: 400,
        user,
        title: 'This request is no longer valid',
        message:
          'The app’s registration changed since it sent you here, so you were not sent back to it. Go back to the app and start connecting again.',
      });
      return undefined;
    }
    return { pending, client };
  }

  async function approve(
    reply: FastifyReply,
    pending: PendingAuthorization,
    user: SessionUser,
    orgId: string,
    status: 302 | 303,
  ) {
    // Single use: a double-submitted form (or two tabs) yields one code only.
    if (!(await s.store.authorizationRequests.take(pending.id))) {
      return sendMessagePage(reply, {
        status: 400,
        user,
        title: 'This request was already answered',
        message: 'Go back to the app; if it is not connected, start connecting again.',
      });
    }
    const code = await issueAuthorizationCode(pending, user.userId, orgId, s);
    return reply.redirect(
      authorizationResponseUrl(pending.redirectUri, { code, state: pending.state ?? undefined }, issuer),
      status,
    );
  }

  app.get('/consent', { preHandler: requireUser(s) }, async (request, reply) => {
    const user = request.user!;
    const { request: id } = request.query as { request?: string };
    const loaded = await load(typeof id === 'string' ? id : undefined, reply, user);
    if (!loaded) return reply;
    const { pending, client } = loaded;
    const prompt = parseScope(pending.prompt ?? undefined);
    if (user.memberships.length === 0) {
      await s.store.authorizationRequests.take(pending.id);
      return redirectError(
        reply,
        pending,
        new OAuthError('access_denied', 'The person belongs to no organization'),
      );
    }
    const state = await consentState(
      user.userId,
      client.id,
      pending.scope,
      user.memberships.map((m) => m.orgId),
      s,
    );
    // Remembered consent: exactly one organization already granted these scopes → use it, no page.
    if (!prompt.includes('consent') && state.covering.length === 1) {
      return approve(reply, pending, user, state.covering[0]!, 302);
    }
    if (prompt.includes('none')) {
      await s.store.authorizationRequests.take(pending.id);
      return redirectError(
        reply,
        pending,
        new OAuthError('consent_required', 'The person has to choose an organization and consent'),
      );
    }
    return sendConsentPage(reply, {
      s,
      user,
      pending,
      client,
      connected: state.connected,
      covering: state.covering,
    });
  });

  app.post('/consent', { preHandler: [requireUser(s), requireCsrf] }, async (request, reply) => {
    const user = request.user!;
    const loaded = await load(formField(request, 'request'), reply, user);
    if (!loaded) return reply;
    const { pending, client } = loaded;
    const decision = formField(request, 'decision');
    if (decision === 'deny') {
      if (await s.store.authorizationRequests.take(pending.id)) {
        return redirectError(
          reply,
          pending,
          new OAuthError('access_denied', 'The person declined the request'),
          303,
        );
      }
      return reply.redirect('/', 303);
    }
    const orgId = formField(request, 'org_id');
    if (decision !== 'approve' || !orgId || !user.memberships.some((m) => m.orgId === orgId)) {
      const state = await consentState(
        user.userId,
        client.id,
        pending.scope,
        user.memberships.map((m) => m.orgId),
        s,
      );
      return sendConsentPage(reply, {
        s,
        user,
        pending,
        client,
        connected: state.connected,
        covering: state.covering,
        error: 'Choose the organization to connect the app to',
        status: 400,
      });
    }
    return approve(reply, pending, user, orgId, 303);
  });
}

function sendConsentPage(
  reply: FastifyReply,
  v: {
    s: Services;
    user: SessionUser;
    pending: PendingAuthorization;
    client: Client;
    connected: string[];
    covering: string[];
    error?: string;
    status?: number;
  },
): FastifyReply {
  const { s, user, pending, client } = v;
  const scopes = parseScope(pending.scope);
  // Preselect: the active organization, unless another is the only one already connected.
  const preselected =
    v.covering[0] ??
    (user.memberships.some((m) => m.orgId === user.activeOrgId)
      ? user.activeOrgId
      : user.memberships[0]?.orgId);
  const returnHost = new URL(pending.redirectUri).host;
  return sendPage(reply, {
    status: v.status,
    title: `Connect ${client.name}`,
    user,
    focused: true,
    // Chromium applies form-action to the redirect that follows the POST: allow the client's origin.
    formAction: pending.redirectUri,
    body: (
      <div class="narrow">
        <ErrorSummary errors={v.error ? [{ field: `org-${preselected}`, message: v.error }] : []} />
        <div class="card stack">
          <h1>
            <span class="consent-app">{client.name}</span> wants to access your account
          </h1>
          <p class="consent-meta muted">
            <span>
              Environment: <strong>{s.config.environment}</strong>
            </span>
            <span>
              Signed in as <strong>{user.email}</strong>
            </span>
          </p>
          <h2 id="scopes-title">It will be able to</h2>
          {scopes.length > 0 ? (
            <ul class="scope-list" aria-labelledby="scopes-title">
              {scopes.map((scope) => (
                <li>
                  {s.config.scopes[scope] ?? scope}
                  <span class="scope-name">{scope}</span>
                </li>
              ))}
            </ul>
          ) : (
            <p>Confirm who you are. It asks for no access to your data.</p>
          )}
          <form method="post" action="/consent">
            <CsrfField user={user} />
            <input type="hidden" name="request" value={pending.id} />
            <fieldset>
              <legend>Connect it to which organization?</legend>
              {user.memberships.map((m) => (
                <div class="choice">
                  <input
                    type="radio"
                    name="org_id"
                    id={`org-${m.orgId}`}
                    value={m.orgId}
                    checked={m.orgId === preselected}
                  />
                  <label for={`org-${m.orgId}`}>
                    {m.orgName} <span class="muted">({m.role})</span>{' '}
                    {v.connected.includes(m.orgId) && <span class="badge badge-ok">Already connected</span>}
                  </label>
                </div>
              ))}
            </fieldset>
            <p class="muted">
              After you choose, you go back to <strong>{returnHost}</strong>. You can disconnect the app at
              any time under Connected apps.
            </p>
            <div class="actions">
              <button type="submit" name="decision" value="approve">
                Allow access
              </button>
              <button type="submit" name="decision" value="deny" class="button-secondary">
                Deny
              </button>
            </div>
          </form>
        </div>
      </div>
    ),
  });
}

function sendAuthorizeErrorPage(reply: FastifyReply, e: AuthorizationPageError, s: Services): FastifyReply {
  return sendPage(reply, {
    status: 400,
    title: e.title,
    body: (
      <div class="narrow stack">
        <div class="card stack">
          <h1>{e.title}</h1>
          <p>{e.message}</p>
          <p>
            You can close this page and go back to the app. If this keeps happening, tell the app’s support
            team.
          </p>
        </div>
        {(e.client || e.requestedRedirectUri) && (
          <div class="card stack">
            <h2>For the app’s developer</h2>
            {e.client && (
              <p>
                App: <strong>{e.client.name}</strong> (client ID <span class="code">{e.client.id}</span>),
                environment <strong>{s.config.environment}</strong>.
              </p>
            )}
            {e.requestedRedirectUri !== undefined && (
              <>
                <p>
                  Requested redirect_uri:
                  <code class="code code-block">{e.requestedRedirectUri}</code>
                </p>
                {e.closest && (
                  <>
                    <p>
                      Closest registered redirect URL:
                      <code class="code code-block">{e.closest.registered}</code>
                    </p>
                    <h3>What differs</h3>
                    <ul class="differences">
                      {e.closest.differences.map((d) => (
                        <li>
                          <strong>{d.part}</strong>: {d.detail}
                        </li>
                      ))}
                    </ul>
                  </>
                )}
                <p class="muted">
                  Redirect URLs must match a registered one exactly, character for character (RFC 9700
                  §4.1.3). Fix the request, or register this URL in the app’s API credentials.
                </p>
              </>
            )}
          </div>
        )}
      </div>
    ),
  });
}
