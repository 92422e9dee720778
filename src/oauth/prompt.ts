/**
 * How an authorization request asks about the person's session (OpenID Connect Core §3.1.2.1):
 * `prompt`, `max_age` and `login_hint`. The flow (./authorization-flow.ts) reads them here, parks
 * them with the request, and asks `needsSignIn` before it goes on to consent; the sign-in pages ask
 * `signInRequest` what the parked request wants of them.
 *
 * - `none`: no page at all. Alone only; without a (fresh enough) session → login_required.
 * - `login`: the person signs in again, even with a session.
 * - `consent`: the consent page even when consent is remembered.
 * - `select_account`: there is one account per session; what a person picks is the organization,
 *   so it shows the consent page (with its organization picker) as `consent` does.
 * - Other values are refused with invalid_request: a client asking for an interaction this server
 *   does not know would otherwise get a response it did not ask for.
 * - `max_age`: seconds since the person last signed in; older → sign in again (0 is `login`).
 * - `login_hint`: who the client expects; fills the sign-in page's email field, and is passed on to
 *   the platform's provider when people sign in there.
 */

import { findActiveClient } from './client-lookup.ts';
import { OAuthError } from './errors.ts';
import type { PendingAuthorization } from './model/authorization-requests.ts';
import type { Client } from './model/clients.ts';
import type { AuthorizationFlowStorage } from './ports.ts';

export const supportedPrompts: ReadonlySet<string> = new Set(['none', 'login', 'consent', 'select_account']);

/** The largest `max_age` kept (the column is a 32-bit integer; 68 years is "any session"). */
const maxMaxAge = 2_147_483_647;

export interface SessionParameters {
  prompt: string[];
  maxAge: number | undefined;
  loginHint: string | undefined;
}

/** Reads `prompt`, `max_age` and `login_hint`; throws invalid_request for values it cannot honour. */
export function readSessionParameters(
  prompt: string | undefined,
  maxAge: string | undefined,
  loginHint: string | undefined,
): SessionParameters {
  const values = [...new Set((prompt ?? '').split(' ').filter(Boolean))];
  const unknown = values.find((p) => !supportedPrompts.has(p));
  if (unknown) {
    throw new OAuthError(
      'invalid_request',
      `prompt "${unknown}" is not supported; use none, login, consent or select_account`,
    );
  }
  if (values.includes('none') && values.length > 1)
    throw new OAuthError('invalid_request', 'prompt=none cannot be combined with other values');
  let seconds: number | undefined;
  if (maxAge !== undefined) {
    seconds = [...maxAge].every((c) => c >= '0' && c <= '9') ? Number(maxAge) : Number.NaN;
    if (!Number.isSafeInteger(seconds) || maxAge.length > 10 || seconds > maxMaxAge)
      throw new OAuthError('invalid_request', 'max_age must be a number of seconds (0 or more)');
  }
  return { prompt: values, maxAge: seconds, loginHint: loginHint?.trim() || undefined };
}

/** What `needsSignIn` reads of a request: its prompt, max_age and when it was made. */
export type SessionDemand = Pick<PendingAuthorization, 'createdAt'> & {
  prompt: readonly string[];
  maxAge?: number | null;
};

/**
 * Whether the person has to sign in (again) before this request goes on. `signedInAt` is when the
 * session began (every sign-in starts a new session), undefined without one. A sign-in made after
 * the request was parked always counts: it is the one the request asked for, however long it took.
 */
export function needsSignIn(request: SessionDemand, signedInAt: number | undefined, now: number): boolean {
  if (signedInAt === undefined) return true;
  // Sessions and requests are stamped by the same clock, to the millisecond.
  if (signedInAt >= request.createdAt) return false;
  const maxAge = request.maxAge ?? undefined;
  // §3.1.2.1: max_age=0 is prompt=login.
  if (request.prompt.includes('login') || maxAge === 0) return true;
  return maxAge !== undefined && now - signedInAt > maxAge * 1000;
}

/** What a parked request asks of the sign-in page on its way to consent. */
export interface SignInRequest {
  client: Client;
  /** The person has to sign in even though they have a session. */
  signInAgain: boolean;
  /** For the platform's provider: sign in again there too (`prompt=login`), or within `maxAge`. */
  promptLogin: boolean;
  maxAge: number | undefined;
  loginHint: string | undefined;
}

/** The parked request `pendingId` as the sign-in pages see it; undefined once it expired. */
export async function signInRequest(
  pendingId: string,
  signedInAt: number | undefined,
  deps: { store: Pick<AuthorizationFlowStorage, 'authorizationRequests' | 'clients'>; clock: () => number },
): Promise<SignInRequest | undefined> {
  const now = deps.clock();
  const pending = await deps.store.authorizationRequests.find(pendingId, now);
  const client = pending && (await findActiveClient(deps.store.clients, pending.clientId));
  if (!pending || !client) return undefined;
  const demand = demandOf(pending);
  return {
    client,
    signInAgain: signedInAt !== undefined && needsSignIn(demand, signedInAt, now),
    promptLogin: demand.prompt.includes('login'),
    maxAge: pending.maxAge ?? undefined,
    loginHint: pending.loginHint ?? undefined,
  };
}

/** A parked request's prompt, split again. */
export const demandOf = (pending: PendingAuthorization): SessionDemand => ({
  createdAt: pending.createdAt,
  prompt: pending.prompt?.split(' ') ?? [],
  maxAge: pending.maxAge,
});
