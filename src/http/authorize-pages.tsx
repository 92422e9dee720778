// The authorization endpoint's pages: the consent form, and why a request stopped (never redirected).
import type { FastifyReply } from 'fastify';
import type { VNode } from 'preact';
import type { SessionUser } from '../accounts/sessions.ts';
import type { Config } from '../config/index.ts';
import { type ConsentNeeded, type PendingRequestPage, pendingTtlMs } from '../oauth/authorize-flow.ts';
import type { AuthorizationRequestPage } from '../oauth/authorize-validation.ts';
import type { Client } from '../oauth/model/clients.ts';
import { type RedirectTarget, redirectTarget } from '../oauth/redirect-target.ts';
import { maxRedirectUriLength } from '../oauth/redirect-uri.ts';
import { isIdentityScope, parseScope } from '../oauth/scope.ts';
import { CsrfField, ErrorSummary, sendMessagePage, sendPage } from './page.tsx';
import { urlFor } from './urls.ts';

/** The words for each reason the authorization flow stops at a page (src/oauth/authorize-flow.ts). */
function requestPageCopy(
  e: AuthorizationRequestPage,
  environment: string,
): { title: string; message: string } {
  const notValid = 'The app’s sign-in link is not valid';
  switch (e.reason) {
    case 'client_id_missing':
      return {
        title: 'The app’s sign-in link is incomplete',
        message: 'The request does not say which app is asking (client_id is missing).',
      };
    case 'client_id_repeated':
      return {
        title: 'The app’s sign-in link is incomplete',
        message: 'The request names client_id more than once.',
      };
    case 'client_blocked':
      return {
        title: 'This app has been blocked',
        message: `The operator of this platform blocked this app (client ID “${e.clientId}”), so it cannot connect to your account. You were not sent back to it.`,
      };
    case 'unknown_client':
      return {
        title: 'Unknown app',
        message: `No app is registered with the client ID “${e.clientId}”. The credentials may have been deleted, or the link points to another environment than “${environment}”.`,
      };
    case 'client_document_refused':
      return {
        title: 'This app’s description could not be used',
        message:
          'The app names itself by a web address where it describes itself (a client metadata document), and that description could not be used, so you were not sent on to the app.',
      };
    case 'redirect_uri_repeated':
      return { title: notValid, message: 'The request names redirect_uri more than once.' };
    case 'request_uri_invalid':
      return {
        title: 'This sign-in link has expired',
        message:
          'The app’s sign-in link works once and for one minute only. Go back to the app and start again.',
      };
    case 'no_redirect_uri_registered':
      return {
        title: notValid,
        message: 'This app has no redirect URL registered, so it cannot receive an authorization.',
      };
    case 'redirect_uri_ambiguous':
      return {
        title: notValid,
        message:
          'This app has several redirect URLs registered, so the request must say which one to use (redirect_uri).',
      };
    case 'too_many_requests':
      return {
        title: 'Too many sign-in requests',
        message: `Too many apps asked to connect from your network in the last minute. Wait ${e.retryAfter} seconds, then go back to the app and try again.`,
      };
    case 'redirect_uri_not_registered':
      return {
        title: 'This redirect URL is not registered',
        message:
          'For your security, we only send you back to addresses the app has registered, exactly as registered. This one does not match, so you were not redirected.',
      };
  }
}

const pendingPageCopy: Record<PendingRequestPage['reason'], { title: string; message: string }> = {
  request_expired: {
    title: 'This request has expired',
    message: `Connecting an app has to be finished within ${pendingTtlMs / 60_000} minutes, and each request works once. Go back to the app and start connecting again.`,
  },
  registration_changed: {
    title: 'This request is no longer valid',
    message:
      'The app’s registration changed since it sent you here, so you were not sent back to it. Go back to the app and start connecting again.',
  },
  already_answered: {
    title: 'This request was already answered',
    message: 'Go back to the app; if it is not connected, start connecting again.',
  },
  client_blocked: {
    title: 'This app has been blocked',
    message:
      'The operator of this platform blocked this app while you were signing in, so it cannot connect to your account. You were not sent back to it.',
  },
};

/** A parked request that cannot go on (expired, registration changed, already answered). */
export function sendPendingRequestPage(
  reply: FastifyReply,
  e: PendingRequestPage,
  user: SessionUser,
): FastifyReply {
  return sendMessagePage(reply, { status: 400, user, ...pendingPageCopy[e.reason] });
}

/**
 * OpenID Connect scopes, in one line a person understands: "Learn who you are: your name and email
 * address". Undefined when the request asks for none of them.
 */
function identityLine(scopes: readonly string[]): string | undefined {
  const asked = scopes.filter(isIdentityScope);
  if (asked.length === 0) return undefined;
  const name = asked.includes('profile');
  const email = asked.includes('email');
  const details =
    name && email
      ? 'your name and email address'
      : name
        ? 'your name'
        : email
          ? 'your email address'
          : 'your account here and the organization you choose';
  return `Learn who you are: ${details}`;
}

export function sendConsentPage(
  reply: FastifyReply,
  c: ConsentNeeded,
  user: SessionUser,
  config: Pick<Config, 'environment' | 'scopes'>,
): FastifyReply {
  const { pending, client } = c;
  const error = c.reason === 'organization_not_chosen' ? 'Choose the organization to connect the app to' : '';
  const asked = parseScope(pending.scope);
  const identity = identityLine(asked);
  const scopes = asked.filter((scope) => !isIdentityScope(scope));
  // Preselect: the active organization, unless another is the only one already connected.
  const preselected =
    c.covering[0] ??
    (user.memberships.some((m) => m.orgId === user.activeOrgId)
      ? user.activeOrgId
      : user.memberships[0]?.orgId);
  // Software that registered itself has no owner organization: nobody on the platform vouches for it.
  const unverified = client.orgId === null;
  const target = redirectTarget(pending.redirectUri);
  return sendPage(reply, {
    status: error ? 400 : undefined,
    title: `Connect ${client.name}`,
    user,
    focused: true,
    // Chromium applies form-action to the redirect that follows the POST: allow the client's origin.
    formAction: pending.redirectUri,
    body: (
      <div class="narrow">
        <ErrorSummary errors={error ? [{ field: `org-${preselected}`, message: error }] : []} />
        <div class="card stack">
          {unverified ? (
            <h1>
              Software that calls itself <span class="consent-app">“{client.name}”</span> wants to access your
              account
            </h1>
          ) : (
            <h1>
              <span class="consent-app">{client.name}</span> wants to access your account
            </h1>
          )}
          {unverified && <UnverifiedSoftware client={client} />}
          {unverified && <ReturnHost target={target} name={client.name} />}
          <p class="consent-meta muted">
            <span>
              Environment: <strong>{config.environment}</strong>
            </span>
            <span>
              Signed in as <strong>{user.email}</strong>
            </span>
          </p>
          <h2 id="scopes-title">It will be able to</h2>
          {asked.length > 0 ? (
            <ul class="scope-list" aria-labelledby="scopes-title">
              {identity && (
                <li data-identity>
                  {identity}
                  <span class="scope-name">{asked.filter(isIdentityScope).join(' ')}</span>
                </li>
              )}
              {scopes.map((scope) => (
                <li>
                  {config.scopes[scope] ?? scope}
                  <span class="scope-name">{scope}</span>
                </li>
              ))}
            </ul>
          ) : (
            <p>Confirm who you are. It asks for no access to your data.</p>
          )}
          <form method="post" action={urlFor(reply.request, '/consent')}>
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
                    {c.connected.includes(m.orgId) && <span class="badge badge-ok">Already connected</span>}
                  </label>
                </div>
              ))}
            </fieldset>
            <p class="muted">
              After you choose, you go back to <strong>{target.host}</strong>. You can disconnect the app at
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

/**
 * The consent page's words for software that registered itself (DESIGN.md "Software that registers
 * itself"): its name is only what it calls itself, and no organization on the platform vouches for it.
 */
function UnverifiedSoftware({ client }: { client: Client }): VNode {
  const published = client.origin === 'metadata_document' ? new URL(client.id).host : undefined;
  return (
    <div class="notice notice-warning stack" role="note" data-unverified>
      <p>
        <strong>Not verified by this platform.</strong> This software registered itself: “{client.name}” is
        the name it gave itself, and no organization on this platform vouches for it.
      </p>
      {published && (
        <p>
          Its registration is published by <strong>{published}</strong>.
        </p>
      )}
      <p>Allow access only if you started connecting it yourself, just now, and you trust it.</p>
    </div>
  );
}

/**
 * Where the authorization code goes (MCP authorization: the person must see the host), and a warning
 * when that is the person's own machine: any program on it could be the one listening there.
 */
function ReturnHost({ target, name }: { target: RedirectTarget; name: string }): VNode {
  return (
    <>
      <p class="consent-host" data-return-host>
        If you allow it, the authorization is sent to <strong>{target.host}</strong>
      </p>
      {target.ownMachine && (
        <div class="notice notice-danger" role="alert" data-own-machine>
          <strong>This sends access to a program on your own computer or device.</strong> Any program running
          on it could receive it. Allow access only if you just started “{name}” on this device yourself.
        </div>
      )}
    </>
  );
}

/** A requested URI as shown to the developer: long enough to recognize, never the caller's 14 KB. */
const shortened = (uri: string): string =>
  uri.length > maxRedirectUriLength ? `${uri.slice(0, maxRedirectUriLength)}…` : uri;

/** A problem with the client or the redirect URI: explained here, never redirected. */
export function sendAuthorizationRequestPage(
  reply: FastifyReply,
  e: AuthorizationRequestPage,
  environment: string,
): FastifyReply {
  const { title, message } = requestPageCopy(e, environment);
  const client = 'client' in e ? e.client : undefined;
  const mismatch = e.reason === 'redirect_uri_not_registered' ? e : undefined;
  const document = e.reason === 'client_document_refused' ? e : undefined;
  // RFC 6585 §4: 429 with Retry-After (RFC 9110 §10.2.3).
  if (e.reason === 'too_many_requests') reply.header('retry-after', String(e.retryAfter));
  return sendPage(reply, {
    status: e.reason === 'too_many_requests' ? 429 : 400,
    title,
    body: (
      <div class="narrow stack">
        <div class="card stack">
          <h1>{title}</h1>
          <p>{message}</p>
          <p>
            You can close this page and go back to the app. If this keeps happening, tell the app’s support
            team.
          </p>
        </div>
        {client && (
          <div class="card stack">
            <h2>For the app’s developer</h2>
            <p>
              App: <strong>{client.name}</strong> (client ID <span class="code">{client.id}</span>),
              environment <strong>{environment}</strong>.
            </p>
            {mismatch && (
              <>
                <p>
                  Requested redirect_uri:
                  <code class="code code-block">{shortened(mismatch.requestedRedirectUri)}</code>
                </p>
                {mismatch.requestedRedirectUri.length > maxRedirectUriLength && (
                  <p data-too-long>
                    It is {mismatch.requestedRedirectUri.length} characters long; a registered redirect URL
                    has at most {maxRedirectUriLength}.
                  </p>
                )}
                {mismatch.closest && (
                  <>
                    <p>
                      Closest registered redirect URL:
                      <code class="code code-block">{mismatch.closest.registered}</code>
                    </p>
                    <h3>What differs</h3>
                    <ul class="differences">
                      {mismatch.closest.differences.map((d) => (
                        <li>
                          <strong>{d.part}</strong>: {d.detail}
                        </li>
                      ))}
                    </ul>
                  </>
                )}
                <p class="muted">
                  Redirect URLs must match a registered one exactly, character for character (RFC 9700
                  §4.1.3).{' '}
                  {client.origin === 'metadata_document'
                    ? 'Fix the request, or add this URL to redirect_uris in the app’s client metadata document (at its client ID).'
                    : 'Fix the request, or register this URL in the app’s API credentials.'}
                </p>
              </>
            )}
          </div>
        )}
        {document && (
          <div class="card stack">
            <h2>For the app’s developer</h2>
            <p>
              Client ID: <span class="code">{shortened(document.clientId)}</span>, environment{' '}
              <strong>{environment}</strong>.
            </p>
            <p data-problem>{document.problem}.</p>
            <p class="muted">
              The client ID is the https URL of a JSON document (Client ID Metadata Document) that this server
              fetches: it must answer 200 with application/json, without redirects, within 5 seconds and 64
              KB; its client_id must be exactly that URL, and its redirect_uris must list the redirect_uri
              sent. Nothing the URL answered is shown here.
            </p>
          </div>
        )}
      </div>
    ),
  });
}
