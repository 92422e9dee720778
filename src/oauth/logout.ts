/**
 * RP-Initiated Logout 1.0 at `/oauth/logout` (the `end_session_endpoint`), step by step; src/http/
 * logout.tsx reads the request and renders the outcome.
 *
 *   validateLogoutRequest(params)
 *     `id_token_hint` (§2): an ID token this server signed (our keys, ES256, our `iss`; an expired
 *     one is accepted, as §4 asks), whose `aud` names the client. `client_id` must agree with it
 *     (§2). `post_logout_redirect_uri` must be one of that client's `post_logout_redirect_uris`,
 *     compared as exact strings (§3); anything wrong is a `page`, never a redirect (§2: "MUST NOT
 *     perform post-logout redirection" to an unregistered URI).
 *   logoutStep(request, signedInUserId)
 *     No session → `signed_out` (nothing to end). A hint whose `sub` is the signed-in person →
 *     `sign_out` at once. Otherwise (no hint, or it is someone else's: §2 "the OP SHOULD ask the
 *     End-User whether to log out") → `confirm`.
 *   logoutRedirectUrl(request)
 *     Where to go afterwards: the registered URI with `state` (§3), or undefined for our own page.
 */
import { verify } from 'node:crypto';
import type { Config } from '../config/index.ts';
import type { KeyRing } from '../keys/keyring.ts';
import type { RawQuery } from './authorize-validation.ts';
import { findActiveClient } from './client-lookup.ts';
import type { Client, ClientRepository } from './model/clients.ts';
import { maxParameterLength } from './request-limits.ts';

export interface LogoutDeps {
  readonly store: { readonly clients: Pick<ClientRepository, 'find'> };
  readonly config: Pick<Config, 'issuer'>;
  readonly keys: Pick<KeyRing, 'findPublicKey'>;
}

/** A logout request that cannot be followed: a page that says why, never a redirect. */
export type LogoutRequestPage =
  | { kind: 'page'; reason: 'parameter_repeated' | 'invalid_hint' | 'client_mismatch' }
  | { kind: 'page'; reason: 'unknown_client'; clientId: string }
  /** A post_logout_redirect_uri, but neither a hint nor client_id tells whose registration to check. */
  | { kind: 'page'; reason: 'client_needed' }
  | { kind: 'page'; reason: 'redirect_uri_not_registered'; client: Client; requested: string };

export interface LogoutRequest {
  kind: 'ok';
  /** The software that asked, when the hint or client_id names it. */
  client: Client | undefined;
  /** A registered post-logout redirect URI to return to. */
  redirectUri: string | undefined;
  state: string | undefined;
  /** The `sub` of a valid id_token_hint: whose session the software means to end. */
  hintSubject: string | undefined;
}

/** Longer than any ID token this server signs, with room; a longer one is not read at all. */
const maxHintLength = 8192;

export async function validateLogoutRequest(
  params: RawQuery,
  deps: LogoutDeps,
): Promise<LogoutRequest | LogoutRequestPage> {
  const names = ['id_token_hint', 'client_id', 'post_logout_redirect_uri', 'state'] as const;
  if (names.some((name) => Array.isArray(params[name])))
    return { kind: 'page', reason: 'parameter_repeated' };
  // RFC 6749 §3.1, as at the authorization endpoint: a parameter without a value is omitted.
  const [hint, clientId, redirect, stateParam] = names.map((name) => (params[name] as string) || undefined);

  let hinted: { sub: string; aud: string } | undefined;
  if (hint !== undefined) {
    hinted = await readIdTokenHint(hint, deps);
    if (!hinted) return { kind: 'page', reason: 'invalid_hint' };
    if (clientId !== undefined && clientId !== hinted.aud) return { kind: 'page', reason: 'client_mismatch' };
  }
  const id = clientId ?? hinted?.aud;
  // A blocked client is no client here either: nothing is sent back to it.
  const client = id === undefined ? undefined : await findActiveClient(deps.store.clients, id);
  if (id !== undefined && !client) return { kind: 'page', reason: 'unknown_client', clientId: id };

  let redirectUri: string | undefined;
  if (redirect !== undefined) {
    if (!client) return { kind: 'page', reason: 'client_needed' };
    // Exact string comparison, as for redirect URIs (RFC 9700 §4.1.3).
    if (!client.postLogoutRedirectUris.includes(redirect)) {
      return { kind: 'page', reason: 'redirect_uri_not_registered', client, requested: redirect };
    }
    redirectUri = redirect;
  }
  // A state too long to keep is not sent back (as at the authorization endpoint).
  const state = (stateParam?.length ?? 0) > maxParameterLength ? undefined : stateParam;
  return { kind: 'ok', client, redirectUri, state, hintSubject: hinted?.sub };
}

export type LogoutStep = 'signed_out' | 'sign_out' | 'confirm';

/** What to do for the person signed in as `userId` (undefined: nobody is). */
export function logoutStep(request: LogoutRequest, userId: string | undefined): LogoutStep {
  if (userId === undefined) return 'signed_out';
  return request.hintSubject === userId ? 'sign_out' : 'confirm';
}

/** The registered URI with `state` appended (§3), its own query kept; undefined without one. */
export function logoutRedirectUrl(request: Pick<LogoutRequest, 'redirectUri' | 'state'>): string | undefined {
  const { redirectUri, state } = request;
  if (redirectUri === undefined || state === undefined) return redirectUri;
  const separator = redirectUri.includes('?') ? (/[?&]$/.test(redirectUri) ? '' : '&') : '?';
  return `${redirectUri}${separator}state=${encodeURIComponent(state)}`;
}

/**
 * The `sub` and `aud` of an ID token this server signed: an ES256 JWS (RFC 7515 §5.2) under one of
 * the published keys, `iss` ours. `exp` is not checked (§4: the hint may have expired); an access
 * token (`typ` at+jwt, RFC 9068 §2.1) is not an ID token. Undefined when any of it does not hold.
 */
async function readIdTokenHint(
  token: string,
  deps: LogoutDeps,
): Promise<{ sub: string; aud: string } | undefined> {
  if (token.length > maxHintLength) return undefined;
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [header, payload, signature] = parts as [string, string, string];
  const json = (part: string): Record<string, unknown> | undefined => {
    try {
      const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
      return value && typeof value === 'object' && !Array.isArray(value)
        ? (value as Record<string, unknown>)
        : undefined;
    } catch {
      return undefined;
    }
  };
  const h = json(header);
  if (h?.alg !== 'ES256' || typeof h.kid !== 'string' || h.typ === 'at+jwt') return undefined;
  const key = await deps.keys.findPublicKey(h.kid);
  if (!key) return undefined;
  let signed: boolean;
  try {
    const data = Buffer.from(`${header}.${payload}`);
    // RFC 7518 §3.4: the signature is R || S, which is what ieee-p1363 reads.
    const options = { key: key.key, dsaEncoding: 'ieee-p1363' } as const;
    signed = verify('sha256', data, options, Buffer.from(signature, 'base64url'));
  } catch {
    signed = false;
  }
  if (!signed) return undefined;
  const claims = json(payload);
  if (!claims || claims.iss !== deps.config.issuer || typeof claims.sub !== 'string') return undefined;
  // OpenID Connect Core §2: `aud` is the client id, or an array holding it (then `azp` names it).
  const aud =
    Array.isArray(claims.aud) && claims.aud.length === 1 ? claims.aud[0] : (claims.azp ?? claims.aud);
  return typeof aud === 'string' ? { sub: claims.sub, aud } : undefined;
}
