import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type Latchkey, startLatchkey, testClock } from '../helpers/latchkey.ts';
import { type PlatformIdp, startPlatformIdp } from '../helpers/platform-idp.ts';
import { cookieJar } from '../helpers/web.ts';

const secret = 'platform-idp-secret-for-latchkey-0123456789';
const upstreamEnv = (port: number, extra: Record<string, string> = {}) => ({
  LATCHKEY_LOGIN_OIDC_ISSUER: `http://localhost:${port}`,
  LATCHKEY_LOGIN_OIDC_CLIENT_ID: 'latchkey',
  LATCHKEY_LOGIN_OIDC_CLIENT_SECRET: secret,
  LATCHKEY_LOGIN_OIDC_ORGS_CLAIM: 'orgs',
  ...extra,
});

/** Starts sign-in at Latchkey: the jar holds the flow cookie; returns the provider URL it sends to. */
async function begin(lk: Latchkey, next = '/settings/api') {
  const jar = cookieJar();
  const login = await fetch(`${lk.issuer}/login?next=${encodeURIComponent(next)}`, { redirect: 'manual' });
  expect(login.status).toBe(303);
  const start = await fetch(new URL(login.headers.get('location')!, lk.issuer), { redirect: 'manual' });
  jar.take(start);
  return { jar, start, location: start.headers.get('location') };
}

const callback = (lk: Latchkey, jar: ReturnType<typeof cookieJar>, query: Record<string, string>) =>
  fetch(`${lk.issuer}/login/oidc/callback?${new URLSearchParams(query)}`, {
    redirect: 'manual',
    headers: { cookie: jar.header() },
  });

describe('sign-in through the provider: what goes wrong ends on a page, never a stack trace', () => {
  const clock = testClock();
  let lk: Latchkey;
  let idp: PlatformIdp;

  beforeAll(async () => {
    const port = await freePort();
    lk = await startLatchkey({ clock, env: upstreamEnv(port) });
    idp = await startPlatformIdp({ latchkeyIssuer: lk.issuer, port });
  });
  afterAll(async () => {
    await idp?.close();
    await lk?.close();
  });

  it('sends /login to the provider with PKCE S256, state, nonce and the documented scope and callback', async () => {
    const { location, start } = await begin(lk);
    const url = new URL(location!);
    expect(url.origin).toBe(idp.issuer);
    expect(url.searchParams.get('scope')).toBe('openid email profile');
    expect(url.searchParams.get('redirect_uri')).toBe(`${lk.issuer}/login/oidc/callback`);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    for (const p of ['state', 'nonce', 'code_challenge'])
      expect(url.searchParams.get(p)).toMatch(/^[\w-]{43,}$/);
    const cookie = start.headers.getSetCookie().find((c) => c.startsWith('latchkey_oidc='))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
  });

  it('refuses a callback whose state does not match this browser’s sign-in', async () => {
    const { jar, location } = await begin(lk);
    const state = new URL(location!).searchParams.get('state')!;
    const response = await callback(lk, jar, { code: 'anything', state: `${state}x`, iss: idp.issuer });
    expect(response.status).toBe(400);
    const body = await response.text();
    expect(body).toContain('Sign-in could not be completed');
    expect(body).toContain('href="/login/oidc?next=%2Fsettings%2Fapi"');
    expect(body).not.toMatch(/at .*\.ts:\d+|OAUTH_/);
    expect(response.headers.get('set-cookie')).not.toContain('latchkey_session=');
  });

  it('refuses a tampered flow cookie (its next changed): the state no longer matches', async () => {
    const { jar, location } = await begin(lk);
    const state = new URL(location!).searchParams.get('state')!;
    const [secretPart, expires] = jar.get('latchkey_oidc')!.split('.');
    const forged = cookieJar();
    forged.take(
      new Response(null, {
        headers: {
          'set-cookie': `latchkey_oidc=${secretPart}.${expires}.${Buffer.from('//evil.example').toString('base64url')}`,
        },
      }),
    );
    const response = await callback(lk, forged, { code: 'anything', state, iss: idp.issuer });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('Sign-in could not be completed');
  });

  it('says the sign-in took too long after ten minutes, or without the cookie', async () => {
    const { jar, location } = await begin(lk);
    const state = new URL(location!).searchParams.get('state')!;
    clock.advance(10 * 60_000 + 1);
    const late = await callback(lk, jar, { code: 'anything', state });
    expect(late.status).toBe(400);
    expect(await late.text()).toContain('Sign-in took too long');
    const none = await callback(lk, cookieJar(), { code: 'x', state });
    expect(none.status).toBe(400);
  });

  it('turns an error from the provider into its page (access_denied)', async () => {
    const { jar, location } = await begin(lk);
    const state = new URL(location!).searchParams.get('state')!;
    const response = await callback(lk, jar, { error: 'access_denied', state, iss: idp.issuer });
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('Sign-in was cancelled');
  });

  it('says the provider cannot be reached when it goes away between the two legs', async () => {
    const { jar, location } = await begin(lk);
    const state = new URL(location!).searchParams.get('state')!;
    await idp.close();
    const response = await callback(lk, jar, { code: 'anything', state, iss: idp.issuer });
    expect(response.status).toBe(502);
    expect(await response.text()).toContain('The sign-in service cannot be reached');
  });
});

describe('sign-in through the provider: configuration', () => {
  it('says the provider cannot be reached when discovery fails, and retries at the next attempt', async () => {
    const port = await freePort();
    const lk = await startLatchkey({ env: upstreamEnv(port) });
    try {
      const login = await fetch(`${lk.issuer}/login/oidc?next=%2F`, { redirect: 'manual' });
      expect(login.status).toBe(502);
      const body = await login.text();
      expect(body).toContain('The sign-in service cannot be reached');
      expect(body).toContain('Try again');
      const idp = await startPlatformIdp({ latchkeyIssuer: lk.issuer, port });
      const again = await fetch(`${lk.issuer}/login/oidc?next=%2F`, { redirect: 'manual' });
      expect(again.status).toBe(303);
      expect(again.headers.get('location')).toMatch(new RegExp(`^${idp.issuer}/`));
      await idp.close();
    } finally {
      await lk.close();
    }
  });

  it('turns password sign-in off while an upstream is set, unless LATCHKEY_PASSWORD_LOGIN=true', async () => {
    const port = await freePort();
    const off = await startLatchkey({ env: upstreamEnv(port) });
    const on = await startLatchkey({ env: upstreamEnv(port, { LATCHKEY_PASSWORD_LOGIN: 'true' }) });
    try {
      const person = await off.createUser({ email: 'pw@example.com' });
      const post = await fetch(`${off.issuer}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ email: person.email, password: person.password, next: '/' }),
      });
      expect(post.status).toBe(403);
      expect(post.headers.get('set-cookie')).toBeNull();
      const page = await fetch(`${on.issuer}/login`);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('name="password"');
      expect(html).toContain('href="/login/oidc?next=%2F"');
    } finally {
      await off.close();
      await on.close();
    }
  });
});
