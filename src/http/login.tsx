import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { VNode } from 'preact';
import { isEmailAddress } from '../accounts/email.ts';
import { checkPassword, type SessionUser, startSession } from '../accounts/sessions.ts';
import { constantTimeEqual, randomToken } from '../crypto.ts';
import type { Client } from '../oauth/model/clients.ts';
import { type SignInRequest, signInRequest } from '../oauth/prompt.ts';
import type { Services } from '../services.ts';
import { ErrorSummary, Field, type FieldError, sendMessagePage, sendPage } from './page.tsx';
import {
  clearSessionCookie,
  cookieOptions,
  currentUser,
  formField,
  loginCsrfCookieName,
  optionalUser,
  requireCsrf,
  requireUser,
  setSessionCookie,
} from './session.ts';
import { urlFor, useUrl, withBase } from './urls.ts';

/**
 * `next` may only be a path on this server (no open redirect, RFC 9700 §4.11): it must start with a
 * single "/", and resolving it against the issuer must keep the origin, stay under the issuer's path
 * (another app may share the origin when the issuer has a path) and give a path that does not start
 * with "//". The fallback is the start page.
 */
const unsafeChar = (ch: string): boolean =>
  ch === '\\' || ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f;

export function safeNext(next: string | undefined, issuer: string, fallback?: string): string {
  const base = new URL(issuer);
  const basePath = base.pathname === '/' ? '' : base.pathname;
  fallback ??= withBase(basePath, '/');
  if (!next?.startsWith('/') || next.startsWith('//') || [...next].some(unsafeChar)) return fallback;
  try {
    const url = new URL(next, base);
    // Dot segments can resolve to "//host" (e.g. "/.//evil.example") or out of the base path
    // ("/auth/../other"): check the path that is actually sent, not only the input.
    const underBase = url.pathname === basePath || url.pathname.startsWith(`${basePath}/`);
    if (url.origin !== base.origin || url.pathname.startsWith('//') || !underBase) return fallback;
    return `${url.pathname}${url.search}`;
  } catch {
    return fallback;
  }
}

const loginCsrfTtl = 3600;

/** The double-submit token of forms people send before they have a session (login CSRF). */
export function loginCsrf(request: FastifyRequest, reply: FastifyReply, s: Services): string {
  const existing = request.cookies?.[loginCsrfCookieName(s)];
  if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
  const token = randomToken(32);
  reply.setCookie(loginCsrfCookieName(s), token, cookieOptions(s, loginCsrfTtl));
  return token;
}

/**
 * The login CSRF token when the form sent the one its cookie holds (double submit, compared in
 * constant time); undefined when either is missing or they differ.
 */
export function checkedLoginCsrf(request: FastifyRequest, s: Services): string | undefined {
  const cookieToken = request.cookies?.[loginCsrfCookieName(s)];
  const sent = formField(request, '_csrf');
  return cookieToken && sent && constantTimeEqual(cookieToken, sent) ? cookieToken : undefined;
}

/**
 * Signs `userId` in with a fresh session (no session fixation): the browser's old session, if any,
 * ends. Undefined when the account is gone.
 */
export async function startFreshSession(
  request: FastifyRequest,
  reply: FastifyReply,
  userId: string,
  s: Services,
): Promise<SessionUser | undefined> {
  const old = await currentUser(request, s);
  if (old) await s.store.sessions.delete(old.sessionId);
  const user = await startSession(userId, s);
  if (user) setSessionCookie(reply, s, user.sessionId);
  return user;
}

function when(retryAfter: number, now: number): string {
  const minutes = Math.ceil(retryAfter / 60);
  const at = new Date(now + retryAfter * 1000).toISOString().slice(11, 16);
  return retryAfter < 60
    ? `in ${retryAfter} seconds`
    : `in ${minutes} minute${minutes === 1 ? '' : 's'} (after ${at} UTC)`;
}

interface LoginView {
  /** With an upstream provider and passwords kept: the link that signs in through the provider. */
  oidcHref?: string;
  csrf: string;
  next: string;
  email?: string;
  errors?: FieldError[];
  notice?: string;
  status?: number;
}

function sendLogin(reply: FastifyReply, view: LoginView): FastifyReply {
  return sendPage(reply, { status: view.status, title: 'Sign in', body: <LoginForm {...view} /> });
}

function LoginForm(view: LoginView): VNode {
  const errors = view.errors ?? [];
  const fieldError = (field: string) => errors.find((e) => e.field === field)?.message;
  const url = useUrl();
  return (
    <div class="narrow">
      <ErrorSummary errors={errors} />
      <div class="card">
        <h1>Sign in</h1>
        {view.notice && <p class="notice">{view.notice}</p>}
        {view.oidcHref && (
          <p>
            <a class="button" href={view.oidcHref}>
              Sign in with your organization’s account
            </a>
          </p>
        )}
        <form method="post" action={url('/login')} novalidate>
          <input type="hidden" name="_csrf" value={view.csrf} />
          <input type="hidden" name="next" value={view.next} />
          <Field
            id="email"
            label="Email address"
            type="email"
            autocomplete="username"
            value={view.email}
            error={fieldError('email')}
            required
            autofocus={errors.length === 0}
          />
          <Field
            id="password"
            label="Password"
            type="password"
            autocomplete="current-password"
            error={fieldError('password')}
            required
          />
          <div class="actions">
            <button type="submit">Sign in</button>
          </div>
        </form>
      </div>
    </div>
  );
}

/**
 * The authorization request parked behind `next` when it is a consent page's URL (the way to consent
 * goes through sign-in), as src/oauth/prompt.ts sees it for a session begun at `signedInAt`.
 */
export async function parkedRequest(
  next: string,
  signedInAt: number | undefined,
  s: Services,
): Promise<SignInRequest | undefined> {
  const consentPrefix = `${withBase(s.config.basePath, '/consent')}?request=`;
  const match = next.startsWith(consentPrefix)
    ? /^([A-Za-z0-9_-]+)$/.exec(next.slice(consentPrefix.length))
    : null;
  return match ? signInRequest(match[1]!, signedInAt, s) : undefined;
}

/** Who asks, on the way to consent; software that registered itself is named as it calls itself. */
const askingNotice = (client: Pick<Client, 'name' | 'orgId'>): string =>
  `${client.orgId === null ? `Software that calls itself “${client.name}”` : client.name} asks to connect to your account. Sign in to continue.`;

/** /login, /logout, /session/org and the start page. */
export async function loginPages(app: FastifyInstance, opts: { services: Services }): Promise<void> {
  const s = opts.services;
  const nextOf = (value: string | undefined) => safeNext(value, s.config.issuer);

  /** On the way to the consent page, say which app is asking, so the sign-in has a context. */
  async function appNotice(next: string): Promise<string | undefined> {
    const client = (await parkedRequest(next, undefined, s))?.client;
    return client && askingNotice(client);
  }

  app.get('/', { preHandler: optionalUser(s) }, async (request, reply) => {
    const user = request.user;
    if (!user) return reply.redirect(urlFor(request, '/login'), 303);
    const active = user.memberships.find((m) => m.orgId === user.activeOrgId);
    return sendPage(reply, {
      title: 'Latchkey',
      user,
      body: (
        <div class="stack">
          <h1>Welcome</h1>
          <p>
            Signed in as <strong>{user.email}</strong>
            {active && (
              <>
                {' '}
                in <strong>{active.orgName}</strong>
              </>
            )}
            .
          </p>
          <ul>
            <li>
              <a href={urlFor(request, '/settings/api')}>API credentials</a>: create and manage the
              credentials software uses to connect.
            </li>
            <li>
              <a href={urlFor(request, '/settings/connected-apps')}>Connected apps</a>: see and revoke the
              software you have connected.
            </li>
          </ul>
        </div>
      ),
    });
  });

  app.get('/login', async (request, reply) => {
    const { next } = request.query as { next?: string };
    const target = nextOf(typeof next === 'string' ? next : undefined);
    const user = await currentUser(request, s);
    // With a session the sign-in is skipped, unless the request asks for a new one (prompt=login, max_age).
    const parked = await parkedRequest(target, user?.signedInAt, s);
    if (user && !parked?.signInAgain) return reply.redirect(target, 303);
    const oidcHref =
      s.config.loginOidc && `${urlFor(request, '/login/oidc')}?next=${encodeURIComponent(target)}`;
    // With the platform's provider and no passwords, /login is only the way there.
    if (oidcHref && !s.config.passwordLogin) return reply.redirect(oidcHref, 303);
    const hint = parked?.loginHint;
    return sendLogin(reply, {
      oidcHref,
      csrf: loginCsrf(request, reply, s),
      next: target,
      notice: parked && askingNotice(parked.client),
      // OpenID Connect Core §3.1.2.1 login_hint: the email field, when the hint is an address.
      email: hint && isEmailAddress(hint) ? hint : user?.email,
    });
  });

  app.post('/login', async (request, reply) => {
    const next = nextOf(formField(request, 'next'));
    if (!s.config.passwordLogin) {
      return sendMessagePage(reply, {
        status: 403,
        title: 'Sign in with your organization’s account',
        message: 'Passwords are not used here: people sign in through their organization’s account.',
        link: { href: `/login?next=${encodeURIComponent(next)}`, text: 'Sign in' },
      });
    }
    const notice = await appNotice(next);
    const email = (formField(request, 'email') ?? '').trim();
    const password = formField(request, 'password') ?? '';
    // Login CSRF (double submit): a forged form cannot sign someone into the attacker's account.
    const cookieToken = checkedLoginCsrf(request, s);
    if (!cookieToken) {
      return sendLogin(reply, {
        status: 403,
        csrf: loginCsrf(request, reply, s),
        next,
        notice,
        email,
        errors: [{ field: 'email', message: 'The sign-in form expired. Please enter your details again.' }],
      });
    }
    const errors: FieldError[] = [];
    if (email === '') errors.push({ field: 'email', message: 'Enter your email address' });
    if (password === '') errors.push({ field: 'password', message: 'Enter your password' });
    if (errors.length > 0)
      return sendLogin(reply, { status: 400, csrf: cookieToken, next, notice, email, errors });

    const result = await checkPassword(email, password, request.ip, s);
    if (!result.ok) {
      if (result.reason === 'throttled') {
        reply.header('retry-after', String(result.retryAfter));
        return sendLogin(reply, {
          status: 429,
          csrf: cookieToken,
          next,
          notice,
          email,
          errors: [
            {
              field: 'password',
              message: `Too many failed sign-in attempts. For your security, please try again ${when(result.retryAfter, s.clock())}.`,
            },
          ],
        });
      }
      request.log.info({ ip: request.ip }, 'sign-in failed');
      return sendLogin(reply, {
        status: 401,
        csrf: cookieToken,
        next,
        notice,
        email,
        errors: [{ field: 'password', message: 'The email address or password is not right' }],
      });
    }
    const user = await startFreshSession(request, reply, result.userId, s);
    if (!user) return reply.redirect(urlFor(request, '/login'), 303);
    reply.clearCookie(loginCsrfCookieName(s), cookieOptions(s, 0));
    request.log.info({ user_id: user.userId }, 'signed in');
    return reply.redirect(next, 303);
  });

  app.post('/logout', { preHandler: [requireUser(s), requireCsrf] }, async (request, reply) => {
    await s.store.sessions.delete(request.user!.sessionId);
    clearSessionCookie(reply, s);
    return reply.redirect(urlFor(request, '/login'), 303);
  });

  app.post('/session/org', { preHandler: [requireUser(s), requireCsrf] }, async (request, reply) => {
    const user = request.user!;
    const orgId = formField(request, 'org_id');
    const next = nextOf(formField(request, 'next'));
    if (orgId && user.memberships.some((m) => m.orgId === orgId)) {
      await s.store.sessions.setActiveOrg(user.sessionId, orgId);
    }
    return reply.redirect(next, 303);
  });
}
