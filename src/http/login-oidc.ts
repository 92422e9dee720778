/**
 * Sign-in through the platform's OpenID provider (OpenID Connect Core §3.1, code flow), with PKCE
 * (RFC 7636), `state` and `nonce`. Nothing is kept on the server between the two legs: a short-lived
 * cookie holds one random secret (the PKCE verifier), the expiry and where to go next; `state` and
 * `nonce` are hashes of that whole value, so changing any part of the cookie breaks the state check.
 * The cookie is SameSite=Lax: it comes back on the provider's top-level redirect to the callback.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import * as oidc from 'openid-client';
import { type ProviderClaims, signInFromProvider } from '../accounts/platform-login.ts';
import type { LoginOidcConfig } from '../config/index.ts';
import { randomToken, sha256 } from '../crypto.ts';
import type { Services } from '../services.ts';
import { parkedRequest, safeNext, startFreshSession } from './login.tsx';
import { sendMessagePage } from './page.tsx';
import { forRequest } from './request-services.ts';
import { cookieOptions, cookiePrefix, currentUser } from './session.ts';
import { withBase } from './urls.ts';

const flowTtlSeconds = 600;
export const oidcCallbackPath = '/login/oidc/callback';
// The prefix the session cookie has: `__Host-` demands Path=/, so under a base path browsers drop a
// `__Host-` cookie that carries Path=<base> (RFC 6265bis §4.1.3.2); `__Secure-` is used there.
const cookieName = (s: Services): string => `${cookiePrefix(s)}latchkey_oidc`;

interface Flow {
  verifier: string;
  state: string;
  nonce: string;
  next: string;
  expiresAt: number;
}

function flowFrom(value: string): Omit<Flow, 'expiresAt'> & { expiresAt: number } {
  const [verifier = '', expires = '', next = ''] = value.split('.');
  return {
    verifier,
    state: sha256(`state.${value}`),
    nonce: sha256(`nonce.${value}`),
    next: Buffer.from(next, 'base64url').toString('utf8'),
    expiresAt: Number(expires),
  };
}

function newFlow(next: string, s: Services): { cookie: string; flow: Flow } {
  const expiresAt = s.clock() + flowTtlSeconds * 1000;
  const cookie = `${randomToken(32)}.${expiresAt}.${Buffer.from(next).toString('base64url')}`;
  return { cookie, flow: flowFrom(cookie) };
}

/** What went wrong, in words a person can act on. Never the provider's raw error text. */
type Failure =
  | 'denied'
  | 'refused'
  | 'state'
  | 'expired'
  | 'unreachable'
  | 'invalid'
  | 'no_email'
  | 'email_taken';

const failures: Record<Failure, { status: number; title: string; message: string }> = {
  denied: {
    status: 403,
    title: 'Sign-in was cancelled',
    message:
      'The sign-in at your organization’s account was cancelled or not allowed, so you are not signed in.',
  },
  refused: {
    status: 502,
    title: 'Sign-in did not work',
    message:
      'Your organization’s sign-in service refused the request. Try again; if it keeps happening, tell your administrator.',
  },
  state: {
    status: 400,
    title: 'Sign-in could not be completed',
    message:
      'The answer from the sign-in service did not belong to this browser’s sign-in. For your security, nothing was done. Start again from this browser.',
  },
  expired: {
    status: 400,
    title: 'Sign-in took too long',
    message: 'The sign-in started too long ago, or in another browser. Start again.',
  },
  unreachable: {
    status: 502,
    title: 'The sign-in service cannot be reached',
    message: 'Your organization’s sign-in service does not answer right now. Try again in a few minutes.',
  },
  invalid: {
    status: 502,
    title: 'Sign-in could not be verified',
    message:
      'The answer from your organization’s sign-in service could not be verified, so you are not signed in. Try again; if it keeps happening, tell your administrator.',
  },
  no_email: {
    status: 403,
    title: 'Your email address is needed',
    message:
      'The sign-in service did not share your email address, which Latchkey needs to set up your account. Ask your administrator.',
  },
  email_taken: {
    status: 409,
    title: 'This email address already has an account',
    message:
      'An account with your email address exists, and the sign-in service did not confirm the address. Ask your administrator to link them.',
  },
};

const networkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function classify(error: unknown): Failure {
  if (error instanceof oidc.AuthorizationResponseError) {
    return error.error === 'access_denied' ? 'denied' : 'refused';
  }
  const e = error as { code?: string; message?: string; cause?: unknown; name?: string };
  const causes: { code?: string; name?: string; message?: string }[] = [];
  for (let c: unknown = e; c && causes.length < 5; c = (c as { cause?: unknown }).cause) {
    causes.push(c as { code?: string });
  }
  if (
    causes.some(
      (c) =>
        (c.code && networkCodes.has(c.code)) || c.message === 'fetch failed' || c.name === 'TimeoutError',
    )
  ) {
    return 'unreachable';
  }
  // A response for another sign-in, or from another provider (mix-up, RFC 9207).
  if (causes.some((c) => c.code === 'OAUTH_INVALID_RESPONSE' && /"(state|iss)"/.test(c.message ?? ''))) {
    return 'state';
  }
  if (e.code === 'OAUTH_RESPONSE_BODY_ERROR') return 'refused';
  return 'invalid';
}

export async function oidcLoginPages(app: FastifyInstance, opts: { services: Services }): Promise<void> {
  const s = opts.services;
  const upstream = s.config.loginOidc;
  if (!upstream) return;
  const redirectUri = `${s.config.issuer}${oidcCallbackPath}`;

  // Discovered once; a failure is forgotten so the next sign-in tries again.
  let configuration: Promise<oidc.Configuration> | undefined;
  const discover = (): Promise<oidc.Configuration> => {
    configuration ??= discoverProvider(upstream).catch((error) => {
      configuration = undefined;
      throw error;
    });
    return configuration;
  };

  const fail = (reply: FastifyReply, failure: Failure, next: string, error?: unknown): FastifyReply => {
    const page = failures[failure];
    if (error) reply.log.warn({ err: error, failure }, 'sign-in through the OpenID provider failed');
    else reply.log.info({ failure }, 'sign-in through the OpenID provider failed');
    reply.clearCookie(cookieName(s), cookieOptions(s, 0));
    return sendMessagePage(reply, {
      status: page.status,
      title: page.title,
      message: page.message,
      link: {
        href: `${withBase(s.config.basePath, '/login/oidc')}?next=${encodeURIComponent(next)}`,
        text: 'Try again',
      },
    });
  };

  app.get('/login/oidc', async (request, reply) => {
    const { next: asked } = request.query as { next?: string };
    const next = safeNext(typeof asked === 'string' ? asked : undefined, s.config.issuer);
    const user = await currentUser(request, s);
    const parked = await parkedRequest(next, user?.signedInAt, s);
    if (user && !parked?.signInAgain) return reply.redirect(next, 303);
    let config: oidc.Configuration;
    try {
      config = await discover();
    } catch (error) {
      return fail(reply, classify(error), next, error);
    }
    const { cookie, flow } = newFlow(next, s);
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid email profile',
      code_challenge: await oidc.calculatePKCECodeChallenge(flow.verifier),
      code_challenge_method: 'S256',
      state: flow.state,
      nonce: flow.nonce,
      // OpenID Connect Core §3.1.2.1: what the client asked of the sign-in, asked of the provider in
      // turn, so that prompt=login and max_age make the person sign in there again.
      ...(parked?.promptLogin && { prompt: 'login' }),
      ...(parked?.maxAge !== undefined && { max_age: String(parked.maxAge) }),
      ...(parked?.loginHint && { login_hint: parked.loginHint }),
    });
    reply.setCookie(cookieName(s), cookie, cookieOptions(s, flowTtlSeconds));
    return reply.redirect(url.href, 303);
  });

  app.get(oidcCallbackPath, async (request, reply) => {
    const value = request.cookies?.[cookieName(s)];
    const flow = value && value.length < 2000 ? flowFrom(value) : undefined;
    const next = safeNext(flow?.next, s.config.issuer);
    if (!flow || !(flow.expiresAt > s.clock())) return fail(reply, 'expired', next);
    let claims: ProviderClaims;
    try {
      const config = await discover();
      claims = await exchange(config, request, flow);
    } catch (error) {
      return fail(reply, classify(error), next, error);
    }
    const result = await signInFromProvider(upstream.issuer, claims, forRequest(s, request));
    if (!result.ok) return fail(reply, result.reason, next);
    const user = await startFreshSession(request, reply, result.userId, s);
    if (!user) return fail(reply, 'invalid', next);
    reply.clearCookie(cookieName(s), cookieOptions(s, 0));
    request.log.info(
      { user_id: user.userId, created: result.created },
      'signed in through the OpenID provider',
    );
    return reply.redirect(next, 303);
  });

  /** Code for tokens, then the claims: the ID token's, completed from userinfo when it lacks some. */
  async function exchange(
    config: oidc.Configuration,
    request: FastifyRequest,
    flow: Flow,
  ): Promise<ProviderClaims> {
    const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
    const tokens = await oidc.authorizationCodeGrant(config, new URL(`${redirectUri}${query}`), {
      pkceCodeVerifier: flow.verifier,
      expectedState: flow.state,
      expectedNonce: flow.nonce,
      idTokenExpected: true,
    });
    const idClaims = tokens.claims()!;
    const wanted = ['email', 'name', ...(upstream!.orgsClaim ? [upstream!.orgsClaim] : [])];
    if (wanted.every((claim) => claim in idClaims) || !config.serverMetadata().userinfo_endpoint) {
      return { ...idClaims, sub: idClaims.sub };
    }
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, idClaims.sub);
    return { ...userinfo, ...idClaims, sub: idClaims.sub };
  }
}

function discoverProvider(upstream: LoginOidcConfig): Promise<oidc.Configuration> {
  const insecure = new URL(upstream.issuer).protocol === 'http:';
  return oidc.discovery(
    new URL(upstream.issuer),
    upstream.clientId,
    undefined,
    oidc.ClientSecretBasic(upstream.clientSecret),
    { timeout: 10, ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}) },
  );
}
