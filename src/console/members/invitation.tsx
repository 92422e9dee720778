/**
 * The invitation link, `/invitations/:token`. A signed-in person accepts with one click. Someone
 * signed out is sent to sign in first when the invited email has an account, or when people sign in
 * through the platform's provider (the account comes from there); with password sign-in and no
 * account yet, the link offers to make one (name and password; the email is the invitation's), and
 * the person lands signed in, a member with the invited role. Links work once, for 7 days.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { VNode } from 'preact';
import {
  acceptInvitation,
  type InvitationLookup,
  joinWithNewAccount,
  lookUpInvitation,
} from '../../accounts/members.ts';
import { passwordProblem } from '../../accounts/passwords.ts';
import { checkedLoginCsrf, loginCsrf, startFreshSession } from '../../http/login.tsx';
import { ErrorSummary, Field, type FieldError, sendMessagePage, sendPage } from '../../http/page.tsx';
import {
  cookieOptions,
  formField,
  loginCsrfCookieName,
  optionalUser,
  requireCsrf,
  requireUser,
} from '../../http/session.ts';
import { urlFor, useUrl } from '../../http/urls.ts';
import type { Role } from '../../oauth/model/accounts.ts';
import type { Services } from '../../services.ts';
import { roleLabels } from './pages.tsx';

const withRole = (role: Role) => `${role === 'admin' ? 'an' : 'a'} ${roleLabels[role].toLowerCase()}`;

interface NewAccountView {
  token: string;
  orgName: string;
  email: string;
  role: Role;
  csrf: string;
  name?: string;
  errors?: FieldError[];
}

function NewAccountForm(v: NewAccountView): VNode {
  const url = useUrl();
  const errors = v.errors ?? [];
  const fieldError = (field: string) => errors.find((e) => e.field === field)?.message;
  return (
    <div class="narrow">
      <ErrorSummary errors={errors} />
      <div class="card stack">
        <h1>Join {v.orgName}</h1>
        <p>
          You are invited to <strong>{v.orgName}</strong> as {withRole(v.role)}. Choose your name and a
          password: your account is made and you are signed in.
        </p>
        <form method="post" action={url(`/invitations/${encodeURIComponent(v.token)}/account`)} novalidate>
          <input type="hidden" name="_csrf" value={v.csrf} />
          <div class="field">
            <label for="email">Email address</label>
            <p class="hint" id="email-hint">
              The invitation is for this address; you sign in with it.
            </p>
            {/* No name: the address is the invitation's, whatever a form sends. */}
            <input
              id="email"
              type="email"
              value={v.email}
              readonly
              autocomplete="username"
              aria-describedby="email-hint"
            />
          </div>
          <Field
            id="name"
            label="Your name"
            autocomplete="name"
            value={v.name}
            error={fieldError('name')}
            required
            autofocus={errors.length === 0}
          />
          <Field
            id="password"
            label="Password"
            type="password"
            autocomplete="new-password"
            hint="At least 10 characters."
            error={fieldError('password')}
            required
          />
          <Field
            id="confirm"
            label="Confirm password"
            type="password"
            autocomplete="new-password"
            error={fieldError('confirm')}
            required
          />
          <div class="actions">
            <button type="submit">Create account and join</button>
          </div>
        </form>
      </div>
    </div>
  );
}

export function invitationLinks(app: FastifyInstance, s: Services): void {
  const path = '/invitations/:token';
  const tokenOf = (request: FastifyRequest) => (request.params as { token: string }).token;
  const linkOf = (request: FastifyRequest) =>
    urlFor(request, `/invitations/${encodeURIComponent(tokenOf(request))}`);
  const signInFirst = (request: FastifyRequest) =>
    `${urlFor(request, '/login')}?next=${encodeURIComponent(linkOf(request))}`;
  // With the platform's provider, accounts come from there: nobody chooses a password here.
  const newAccounts = s.config.passwordLogin && !s.config.loginOidc;

  const closed = (
    request: FastifyRequest,
    reply: FastifyReply,
    state: Exclude<InvitationLookup['state'], 'open'>,
  ) => {
    const pages = {
      used: {
        status: 410,
        title: 'This invitation was used already',
        message:
          'An invitation link works once. If you accepted it, sign in; otherwise ask the admin who invited you for a new one.',
        link: { href: urlFor(request, '/login'), text: 'Sign in' },
      },
      expired: {
        status: 410,
        title: 'This invitation has expired',
        message: 'Invitation links work for 7 days. Ask the admin who invited you for a new one.',
        link: { href: urlFor(request, '/'), text: 'Go to the start page' },
      },
      unknown: {
        status: 404,
        title: 'This invitation link does not work',
        message:
          'It may have been copied incompletely: open it again from the message you received, or ask the admin who invited you for a new one.',
        link: { href: urlFor(request, '/'), text: 'Go to the start page' },
      },
    };
    return sendMessagePage(reply, { ...pages[state], user: request.user });
  };

  const accountExists = (request: FastifyRequest, reply: FastifyReply) =>
    sendMessagePage(reply, {
      status: 409,
      title: 'You have an account already',
      message: 'An account with the invited email address exists. Sign in with it to accept the invitation.',
      link: { href: signInFirst(request), text: 'Sign in' },
    });

  const newAccountForm = (reply: FastifyReply, view: NewAccountView, status = 200): FastifyReply =>
    sendPage(reply, { status, title: `Join ${view.orgName}`, body: <NewAccountForm {...view} /> });

  app.get(path, { preHandler: optionalUser(s) }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const found = await lookUpInvitation(tokenOf(request), s);
    if (found.state !== 'open') return closed(request, reply, found.state);
    const { invitation } = found;
    const user = request.user;
    if (!user) {
      if (!newAccounts || (await s.store.accounts.findUserByEmail(invitation.email))) {
        return reply.redirect(signInFirst(request), 303);
      }
      return newAccountForm(reply, {
        token: tokenOf(request),
        orgName: invitation.orgName,
        email: invitation.email,
        role: invitation.role,
        csrf: loginCsrf(request, reply, s),
      });
    }
    return sendPage(reply, {
      title: 'Invitation',
      user,
      body: (
        <div class="card stack">
          <h1>Join {invitation.orgName}</h1>
          <p>
            You are invited to <strong>{invitation.orgName}</strong> as {withRole(invitation.role)}.
          </p>
          <form method="post" action={linkOf(request)}>
            <input type="hidden" name="_csrf" value={user.csrfToken} />
            <button type="submit">Accept invitation</button>
          </form>
        </div>
      ),
    });
  });

  app.post(path, { preHandler: [requireUser(s), requireCsrf] }, async (request, reply) => {
    const user = request.user!;
    const found = await lookUpInvitation(tokenOf(request), s);
    if (found.state !== 'open') return closed(request, reply, found.state);
    const result = await acceptInvitation(tokenOf(request), user, s);
    if (result === 'invalid') {
      const now = await lookUpInvitation(tokenOf(request), s);
      return closed(request, reply, now.state === 'open' ? 'used' : now.state);
    }
    if (result === 'other_email') {
      return sendMessagePage(reply, {
        status: 403,
        user,
        title: 'This invitation is for someone else',
        message: `It was sent to another email address than yours (${user.email}). To join as the invited person, sign out and open the link again; or ask the admin to invite ${user.email}.`,
      });
    }
    await s.store.sessions.setActiveOrg(user.sessionId, found.invitation.orgId);
    return reply.redirect(urlFor(request, '/'), 303);
  });

  app.post(`${path}/account`, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const token = tokenOf(request);
    const found = await lookUpInvitation(token, s);
    if (found.state !== 'open') return closed(request, reply, found.state);
    const { invitation } = found;
    if (!newAccounts) return reply.redirect(signInFirst(request), 303);
    const name = (formField(request, 'name') ?? '').trim();
    const password = formField(request, 'password') ?? '';
    const view = {
      token,
      orgName: invitation.orgName,
      email: invitation.email,
      role: invitation.role,
      csrf: loginCsrf(request, reply, s),
      name,
    };
    // No session yet: the double-submit token of the sign-in form (login CSRF), so a forged form
    // cannot make an account the attacker knows the password of.
    if (!checkedLoginCsrf(request, s)) {
      const message = 'The form expired. Please enter your details again.';
      return newAccountForm(reply, { ...view, errors: [{ field: 'name', message }] }, 403);
    }
    const errors: FieldError[] = [];
    if (name === '') errors.push({ field: 'name', message: 'Enter your name' });
    else if (name.length > 200) errors.push({ field: 'name', message: 'Use at most 200 characters' });
    const problem = password === '' ? 'Choose a password' : passwordProblem(password);
    if (problem) errors.push({ field: 'password', message: problem });
    else if (formField(request, 'confirm') !== password)
      errors.push({ field: 'confirm', message: 'The two passwords are not the same' });
    if (errors.length > 0) return newAccountForm(reply, { ...view, errors }, 400);

    const result = await joinWithNewAccount(token, { name, password }, s);
    if (!result.ok) {
      if (result.reason === 'account_exists') return accountExists(request, reply);
      if (result.reason === 'throttled') {
        reply.header('retry-after', String(result.retryAfter));
        const message = 'Too many tries with this invitation. Please wait a few minutes and try again.';
        return newAccountForm(reply, { ...view, errors: [{ field: 'password', message }] }, 429);
      }
      return closed(request, reply, result.reason);
    }
    const user = await startFreshSession(request, reply, result.userId, s);
    if (!user) return reply.redirect(urlFor(request, '/login'), 303);
    reply.clearCookie(loginCsrfCookieName(s), cookieOptions(s, 0));
    request.log.info(
      { user_id: user.userId, org_id: result.orgId },
      'joined by invitation with a new account',
    );
    return reply.redirect(urlFor(request, '/'), 303);
  });
}
