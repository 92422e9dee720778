/**
 * Sessions for the pages (sign-in, consent, console). API for other plugins:
 *
 *   registerSessions(app, s)            once, in app.ts: registers @fastify/cookie.
 *   request.user?: SessionUser          { sessionId, userId, email, memberships: {orgId, orgName, role}[],
 *                                         activeOrgId, csrfToken }, set by the preHandlers below.
 *   requireUser(s)                      preHandler: loads the session; GET/HEAD without one → 303 to
 *                                         /login?next=<path>; any other method → 401 page.
 *   optionalUser(s)                     preHandler: loads the session when there is one, never refuses.
 *   requireCsrf                         preHandler after requireUser: POST body field `_csrf` must equal
 *                                         request.user.csrfToken (constant time), else a 403 page.
 *   formField(request, name)            one string field of a parsed form body (repeated → undefined).
 *   setSessionCookie / clearSessionCookie / sessionCookieName(s)
 *
 *   app.post('/settings/x', { preHandler: [requireUser(s), requireCsrf] }, handler)
 *
 * Cookie: `__Host-latchkey_session` when the issuer is https at the root (Secure, Path=/, no Domain);
 * `__Secure-latchkey_session` with Path=<base path> when the https issuer has a path (`__Host-`
 * demands Path=/, which would hand the cookie to every other app on the platform's origin);
 * `latchkey_session` (Path=<base path> or /) over http. HttpOnly, SameSite=Lax; the session expires
 * after `config.sessionTtl`.
 */
import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { loadSessionUser, type SessionUser } from '../accounts/sessions.ts';
import { constantTimeEqual } from '../crypto.ts';
import type { Services } from '../services.ts';
import { sendMessagePage } from './page.tsx';
import { urlFor } from './urls.ts';

export type { SessionUser } from '../accounts/sessions.ts';

declare module 'fastify' {
  interface FastifyRequest {
    user?: SessionUser;
  }
}

export async function registerSessions(app: FastifyInstance, _s: Services): Promise<void> {
  await app.register(cookie);
}

const isHttps = (s: Services): boolean => s.config.issuer.startsWith('https:');

/**
 * `__Host-` pins the cookie to this exact origin over https (RFC 6265bis §4.1.3.2), but requires
 * Path=/; under a base path `__Secure-` (§4.1.3.1) keeps the Secure guarantee with Path=<base path>.
 */
export const cookiePrefix = (s: Services): string =>
  !isHttps(s) ? '' : s.config.basePath ? '__Secure-' : '__Host-';
export const sessionCookieName = (s: Services): string => `${cookiePrefix(s)}latchkey_session`;
export const loginCsrfCookieName = (s: Services): string => `${cookiePrefix(s)}latchkey_login`;
const cookiePath = (s: Services): string => s.config.basePath || '/';

export const cookieOptions = (s: Services, maxAgeSeconds: number) =>
  ({
    path: cookiePath(s),
    httpOnly: true,
    // Lax: the cookie rides along on the top-level GET that brings a person to /oauth/authorize from
    // the client's site, but not on cross-site POSTs (a second line behind the CSRF tokens).
    sameSite: 'lax',
    secure: isHttps(s),
    maxAge: maxAgeSeconds,
  }) as const;

export function setSessionCookie(reply: FastifyReply, s: Services, sessionId: string): void {
  reply.setCookie(sessionCookieName(s), sessionId, cookieOptions(s, s.config.sessionTtl));
}

export function clearSessionCookie(reply: FastifyReply, s: Services): void {
  reply.clearCookie(sessionCookieName(s), {
    path: cookiePath(s),
    secure: isHttps(s),
    httpOnly: true,
    sameSite: 'lax',
  });
}

/** Loads request.user from the session cookie once per request. */
export async function currentUser(request: FastifyRequest, s: Services): Promise<SessionUser | undefined> {
  if (request.user) return request.user;
  const id = request.cookies?.[sessionCookieName(s)];
  if (!id || id.length > 100) return undefined;
  const user = await loadSessionUser(id, s);
  if (user) request.user = user;
  return user;
}

export function requireUser(s: Services) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    if (await currentUser(request, s)) return undefined;
    if (request.method === 'GET' || request.method === 'HEAD') {
      return reply.redirect(`${urlFor(request, '/login')}?next=${encodeURIComponent(request.url)}`, 303);
    }
    return sendMessagePage(reply, {
      status: 401,
      title: 'Please sign in again',
      message: 'Your session has ended, so this was not saved. Sign in and try once more.',
      link: { href: urlFor(request, '/login'), text: 'Sign in' },
    });
  };
}

export function optionalUser(s: Services) {
  return async (request: FastifyRequest): Promise<void> => {
    await currentUser(request, s);
  };
}

/** One string field of a parsed form body; a repeated or missing field gives undefined. */
export function formField(request: FastifyRequest, name: string): string | undefined {
  const body = request.body;
  if (!body || typeof body !== 'object') return undefined;
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

/** Synchronizer-token CSRF check (OWASP); runs as a preHandler, after the form body is parsed. */
export async function requireCsrf(
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply | undefined> {
  const expected = request.user?.csrfToken;
  const sent = formField(request, '_csrf');
  if (expected && sent && constantTimeEqual(sent, expected)) return undefined;
  return sendMessagePage(reply, {
    status: 403,
    user: request.user,
    title: 'This form has expired',
    message:
      'For your security, forms only work from the page that showed them. Go back, reload the page and submit it again.',
    link: { href: urlFor(request, '/'), text: 'Go to the start page' },
  });
}
