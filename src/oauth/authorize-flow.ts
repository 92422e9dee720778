// The authorization endpoint's flow, step by step (start, resume, decide): typed outcomes for src/http.
/**
 * The authorization code flow as a person goes through it (RFC 6749 §4.1, RFC 9700 §2.1), one
 * function per step. Each returns a typed outcome; src/http only renders it (a `page` by its `reason`,
 * a `redirect` as 302/303, `consent` as the consent form, `pending` as the way to sign-in or consent).
 *
 *   GET /oauth/authorize → startAuthorization(query, person, deps, address)
 *     Counted per address first (./request-limits.ts): too many → a `page`.
 *     validateAuthorizationRequest (./authorize-validation.ts) checks the client and the redirect URI first: a
 *     problem there is a `page`, never a redirect. Any later problem is a `redirect` carrying `error`,
 *     `state` and `iss`. prompt=none without a session fresh enough (prompt=login, max_age:
 *     ./prompt.ts) → login_required. Otherwise the request is parked for `pendingTtlMs` → `pending`
 *     (`signIn`: the person signs in first, again if prompt=login or max_age asks; then /consent).
 *
 *   GET /consent → resumeAuthorization(pendingId, person)
 *     The parked request is loaded and checked again against the registration (`page` when it
 *     expired or the registration changed). A sign-in older than the request allows → `sign_in`
 *     (login_required with prompt=none). No organization → access_denied. Exactly one of the
 *     person's organizations already granted these scopes and no prompt=consent or select_account →
 *     remembered consent, a code `redirect` at once (./authorize-consent.ts). prompt=none → consent_required
 *     (interaction_required when several organizations would do and the person has to pick one).
 *     Otherwise `consent`.
 *
 *   POST /consent → decide(pendingId, person, decision, orgId)
 *     deny → access_denied. approve with one of the person's organizations → the request is taken
 *     (single use) and a code issued → `redirect` with `code`, `state`, `iss` (RFC 9207). Anything
 *     else → `consent` again, asking to choose an organization.
 *
 * After the redirect, the client redeems the code at the token endpoint (./grants/authorization-code.ts).
 */
import type { Clock } from '../clock.ts';
import type { Config } from '../config/index.ts';
import type { RateLimiter } from '../ratelimit/index.ts';
import { consentState, issueAuthorizationCode } from './authorize-consent.ts';
import { takePushedRequest } from './authorize-par.ts';
import {
  type AuthorizationRedirect,
  type AuthorizationRequestPage,
  type AuthorizationValidationDeps,
  authorizationResponseUrl,
  errorRedirect,
  type RawQuery,
  validateAuthorizationRequest,
} from './authorize-validation.ts';
import { findActiveClient, lookUpClient } from './client-lookup.ts';
import { OAuthError, type OAuthErrorCode } from './errors.ts';
import type { PendingAuthorization } from './model/authorization-requests.ts';
import type { Client } from './model/clients.ts';
import type { AuthorizationFlowStorage } from './ports.ts';
import { demandOf, needsSignIn } from './prompt.ts';
import { countParkedRequest } from './request-limits.ts';
import { formatScope } from './scope.ts';

/** How long a person has to sign in and decide before the request must start again. */
export const pendingTtlMs = 10 * 60_000;

export interface AuthorizationFlowDeps extends AuthorizationValidationDeps {
  readonly store: AuthorizationFlowStorage;
  readonly config: Pick<Config, 'issuer' | 'scopes' | 'requirePkce' | 'codeTtl' | 'resources'>;
  readonly clock: Clock;
  /** Counts requests per address before anything is parked (./request-limits.ts). */
  readonly limiter: Pick<RateLimiter, 'hit'>;
}

/** The signed-in person (the resource owner, RFC 6749 §1.1) and the organizations they belong to. */
export interface ResourceOwner {
  readonly userId: string;
  readonly memberships: readonly { readonly orgId: string }[];
  /** When the person signed in (the session began), epoch ms: `prompt=login`, `max_age`, `auth_time`. */
  readonly signedInAt: number;
}

/** The request was parked; the person signs in (if needed) and then decides on the consent page. */
export interface Pending {
  kind: 'pending';
  pendingId: string;
  /** The person signs in first: there is no session, or prompt=login or max_age asks for a new sign-in. */
  signIn: boolean;
}

/** The session is older than the parked request allows (prompt=login, max_age): sign in again. */
export interface SignInNeeded {
  kind: 'sign_in';
  pendingId: string;
}

/** A parked request that cannot go on: shown as a page, never redirected (RFC 9700 §4.1). */
export interface PendingRequestPage {
  kind: 'page';
  reason: 'request_expired' | 'registration_changed' | 'already_answered' | 'client_blocked';
}

/** The person has to choose an organization and approve or deny. */
export interface ConsentNeeded {
  kind: 'consent';
  pending: PendingAuthorization;
  client: Client;
  /** The person's organizations where this client already holds every requested scope. */
  covering: string[];
  /** The person's organizations where this client is connected at all. */
  connected: string[];
  /** Set when a submitted form did not approve with one of the person's organizations. */
  reason?: 'organization_not_chosen';
}

/** A deny for a request already answered (a double-submitted form): nothing is left to send. */
export interface Finished {
  kind: 'finished';
}

/** GET /oauth/authorize from `address`: validate, answer prompt=none, park the request. */
export async function startAuthorization(
  query: RawQuery,
  person: ResourceOwner | undefined,
  deps: AuthorizationFlowDeps,
  address: string,
): Promise<AuthorizationRequestPage | AuthorizationRedirect | Pending> {
  // Anyone may send this request and each one parks a row: counted first, per address.
  const retryAfter = await countParkedRequest(address, deps.limiter);
  if (retryAfter !== undefined) return { kind: 'page', reason: 'too_many_requests', retryAfter };
  // RFC 9126 §4: with request_uri, the pushed parameters are the request (taken once).
  let pushed = false;
  if (query.request_uri !== undefined) {
    const request = await takePushedRequest(query, deps);
    if (!request) return { kind: 'page', reason: 'request_uri_invalid' };
    query = request.params;
    pushed = true;
  }
  const v = await validateAuthorizationRequest(query, deps, { address, pushed });
  if (v.kind !== 'ok') return v;
  const r = v.request;
  const now = deps.clock();
  const signIn = needsSignIn({ ...r, createdAt: now }, person?.signedInAt, now);
  // OpenID Connect Core §3.1.2.1: prompt=none shows nothing, so without a session (or with one older
  // than max_age allows) it fails at once.
  if (signIn && r.prompt.includes('none')) {
    return errorRedirect(
      r,
      new OAuthError('login_required', 'The person is not signed in, or signed in too long ago'),
      deps.config.issuer,
    );
  }
  const pending = await deps.store.authorizationRequests.create({
    clientId: r.client.id,
    redirectUri: r.redirectUri,
    redirectUriSent: r.redirectUriSent,
    scope: formatScope(r.scope),
    state: r.state ?? null,
    codeChallenge: r.codeChallenge ?? null,
    prompt: r.prompt.join(' ') || null,
    resource: r.resource ?? null,
    maxAge: r.maxAge ?? null,
    loginHint: r.loginHint ?? null,
    nonce: r.nonce ?? null,
    createdAt: now,
    expiresAt: now + pendingTtlMs,
  });
  return { kind: 'pending', pendingId: pending.id, signIn };
}

/** GET /consent: after sign-in, answer from remembered consent or ask. */
export async function resumeAuthorization(
  pendingId: string | undefined,
  person: ResourceOwner,
  deps: AuthorizationFlowDeps,
): Promise<PendingRequestPage | AuthorizationRedirect | ConsentNeeded | SignInNeeded> {
  const loaded = await load(pendingId, deps);
  if (loaded.kind === 'page') return loaded;
  const { pending, client } = loaded;
  const prompt = pending.prompt?.split(' ') ?? [];
  if (needsSignIn(demandOf(pending), person.signedInAt, deps.clock())) {
    if (prompt.includes('none')) {
      return refuse(pending, 'login_required', 'The person signed in too long ago', deps);
    }
    return { kind: 'sign_in', pendingId: pending.id };
  }
  if (person.memberships.length === 0) {
    return refuse(pending, 'access_denied', 'The person belongs to no organization', deps);
  }
  const state = await consentState(person.userId, client.id, pending.scope, orgIds(person), deps.store);
  // Remembered consent: exactly one organization already granted these scopes → use it, no page.
  // prompt=select_account asks for the organization picker, as prompt=consent does (./prompt.ts).
  const ask = prompt.includes('consent') || prompt.includes('select_account');
  if (!ask && state.covering.length === 1) {
    return approve(pending, person, state.covering[0]!, deps);
  }
  if (prompt.includes('none')) {
    // OpenID Connect Core §3.1.2.6: consent given, but only the person can say for which organization.
    if (state.covering.length > 1) {
      return refuse(pending, 'interaction_required', 'The person has to choose an organization', deps);
    }
    return refuse(pending, 'consent_required', 'The person has to choose an organization and consent', deps);
  }
  return { kind: 'consent', pending, client, ...state };
}

/** POST /consent: the person's answer. `decision` and `orgId` are the form's values, unchecked. */
export async function decide(
  pendingId: string | undefined,
  person: ResourceOwner,
  decision: string | undefined,
  orgId: string | undefined,
  deps: AuthorizationFlowDeps,
): Promise<PendingRequestPage | AuthorizationRedirect | ConsentNeeded | Finished | SignInNeeded> {
  const loaded = await load(pendingId, deps);
  if (loaded.kind === 'page') return loaded;
  const { pending, client } = loaded;
  if (decision === 'deny') {
    if (!(await deps.store.authorizationRequests.take(pending.id))) return { kind: 'finished' };
    return errorRedirect(
      toClient(pending),
      new OAuthError('access_denied', 'The person declined the request'),
      deps.config.issuer,
    );
  }
  // The session may have been replaced since the page was shown: approve only after the sign-in asked for.
  if (needsSignIn(demandOf(pending), person.signedInAt, deps.clock())) {
    return { kind: 'sign_in', pendingId: pending.id };
  }
  if (decision !== 'approve' || !orgId || !orgIds(person).includes(orgId)) {
    const state = await consentState(person.userId, client.id, pending.scope, orgIds(person), deps.store);
    return { kind: 'consent', pending, client, ...state, reason: 'organization_not_chosen' };
  }
  return approve(pending, person, orgId, deps);
}

/**
 * The client a parked request is for, so the sign-in page on the way to consent can name who is
 * asking; undefined once the request expired or the client is gone.
 */
export async function requestingClient(
  pendingId: string,
  deps: Pick<AuthorizationFlowDeps, 'store' | 'clock'>,
): Promise<Client | undefined> {
  const pending = await deps.store.authorizationRequests.find(pendingId, deps.clock());
  return pending && (await findActiveClient(deps.store.clients, pending.clientId));
}

/** The parked request and its client, checked again against the current registration. */
async function load(
  pendingId: string | undefined,
  deps: AuthorizationFlowDeps,
): Promise<PendingRequestPage | { kind: 'loaded'; pending: PendingAuthorization; client: Client }> {
  const { authorizationRequests, clients } = deps.store;
  const pending = pendingId ? await authorizationRequests.find(pendingId, deps.clock()) : undefined;
  const found = pending && (await lookUpClient(clients, pending.clientId));
  if (!pending || !found || found.kind === 'unknown') return { kind: 'page', reason: 'request_expired' };
  // Blocked while the person signed in: the request ends here, and nothing goes back to the client.
  if (found.kind === 'blocked') {
    await authorizationRequests.take(pending.id);
    return { kind: 'page', reason: 'client_blocked' };
  }
  const { client } = found;
  // The registration may have changed while the person signed in (RFC 9700 §4.1): a removed
  // redirect URL or a withdrawn code grant ends the request here, without a redirect.
  if (
    !client.redirectUris.includes(pending.redirectUri) ||
    !client.grantTypes.includes('authorization_code')
  ) {
    await authorizationRequests.take(pending.id);
    return { kind: 'page', reason: 'registration_changed' };
  }
  return { kind: 'loaded', pending, client };
}

async function approve(
  pending: PendingAuthorization,
  person: ResourceOwner,
  orgId: string,
  deps: AuthorizationFlowDeps,
): Promise<PendingRequestPage | AuthorizationRedirect> {
  // Single use: a double-submitted form (or two tabs) yields one code only.
  if (!(await deps.store.authorizationRequests.take(pending.id))) {
    return { kind: 'page', reason: 'already_answered' };
  }
  const code = await issueAuthorizationCode(pending, person.userId, orgId, deps, person.signedInAt);
  const params = { code, state: pending.state ?? undefined };
  return { kind: 'redirect', url: authorizationResponseUrl(pending.redirectUri, params, deps.config.issuer) };
}

/** Ends the request and sends the error to the client (RFC 6749 §4.1.2.1). */
async function refuse(
  pending: PendingAuthorization,
  code: OAuthErrorCode,
  description: string,
  deps: AuthorizationFlowDeps,
): Promise<AuthorizationRedirect> {
  await deps.store.authorizationRequests.take(pending.id);
  return errorRedirect(toClient(pending), new OAuthError(code, description), deps.config.issuer);
}

const toClient = (pending: PendingAuthorization) => ({
  redirectUri: pending.redirectUri,
  state: pending.state ?? undefined,
});

const orgIds = (person: ResourceOwner): string[] => person.memberships.map((m) => m.orgId);
