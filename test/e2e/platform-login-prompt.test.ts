import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type Latchkey, startLatchkey, type TestClient, testClock } from '../helpers/latchkey.ts';
import { pkcePair } from '../helpers/oauth-flow.ts';
import { type PlatformIdp, startPlatformIdp } from '../helpers/platform-idp.ts';
import { cookieJar, hiddenField } from '../helpers/web.ts';

/**
 * prompt=login, max_age and login_hint when people sign in through the platform's provider
 * (node-oidc-provider): Latchkey asks the provider for them in turn, so prompt=login makes the
 * person sign in there again, and the Latchkey session (its sign-in time) is new afterwards.
 * Driven over plain HTTP: the provider's development pages are two simple forms.
 */
describe('prompt and max_age with the platform’s provider', () => {
  const clock = testClock(Date.now());
  const callback = 'http://127.0.0.1:9999/callback';
  let lk: Latchkey;
  let idp: PlatformIdp;
  let client: TestClient;

  beforeAll(async () => {
    const port = await freePort();
    lk = await startLatchkey({
      clock,
      env: {
        LATCHKEY_LOGIN_OIDC_ISSUER: `http://localhost:${port}`,
        LATCHKEY_LOGIN_OIDC_CLIENT_ID: 'latchkey',
        LATCHKEY_LOGIN_OIDC_CLIENT_SECRET: 'platform-idp-secret-for-latchkey-0123456789',
        LATCHKEY_LOGIN_OIDC_ORGS_CLAIM: 'orgs',
      },
    });
    idp = await startPlatformIdp({ latchkeyIssuer: lk.issuer, port });
    client = await lk.createClient({
      name: 'Ledger Sync',
      redirectUris: [callback],
      scopes: ['profile:read'],
    });
    idp.accounts.set('grace', {
      email: 'grace@example.com',
      email_verified: true,
      name: 'Grace Hopper',
      orgs: [{ id: 'navy', name: 'Navy', role: 'member' }],
    });
  });
  afterAll(async () => {
    await idp?.close();
    await lk?.close();
  });

  /**
   * A browser stand-in with one cookie jar per site. It follows redirects between Latchkey and the
   * provider, signs in at the provider as `login` (counting the sign-in forms it was shown) and
   * confirms there; it records the authorization requests Latchkey sent to the provider. Stops at a
   * page of Latchkey's, or at a redirect that leaves both sites.
   */
  function browser(login: string) {
    const jars = new Map<string, ReturnType<typeof cookieJar>>();
    const jar = (url: string) => {
      const origin = new URL(url).origin;
      if (!jars.has(origin)) jars.set(origin, cookieJar());
      return jars.get(origin)!;
    };
    const seen = { providerSignIns: 0, upstreamRequests: [] as URLSearchParams[] };
    async function go(start: string, form?: Record<string, string>): Promise<Response> {
      let url = start;
      let body = form && new URLSearchParams(form);
      for (let i = 0; i < 20; i++) {
        const r = await fetch(url, {
          method: body ? 'POST' : 'GET',
          redirect: 'manual',
          headers: {
            cookie: jar(url).header(),
            ...(body && { 'content-type': 'application/x-www-form-urlencoded' }),
          },
          body,
        });
        jar(url).take(r);
        body = undefined;
        const location = r.headers.get('location');
        if (location) {
          const next = new URL(location, url);
          if (next.origin !== new URL(lk.issuer).origin && next.origin !== idp.issuer) return r;
          if (next.origin === idp.issuer && next.pathname === '/auth')
            seen.upstreamRequests.push(next.searchParams);
          url = next.href;
          continue;
        }
        if (new URL(url).origin !== idp.issuer) return r;
        const html = await r.text();
        const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
        if (!action) throw new Error(`unexpected page at the provider: ${html}`);
        url = new URL(action, url).href;
        const signIn = html.includes('name="login"');
        if (signIn) seen.providerSignIns++;
        body = new URLSearchParams(
          signIn ? { prompt: 'login', login, password: 'anything' } : { prompt: 'consent' },
        );
      }
      throw new Error('too many redirects');
    }
    return { go, seen };
  }

  const authorizeUrl = (extra: Record<string, string> = {}) =>
    `${lk.issuer}/oauth/authorize?${new URLSearchParams({
      response_type: 'code',
      client_id: client.clientId,
      redirect_uri: callback,
      scope: 'profile:read',
      state: 'st',
      code_challenge: pkcePair().challenge,
      code_challenge_method: 'S256',
      ...extra,
    })}`;

  const code = (r: Response) => {
    // 303 after the consent form, 302 after a GET.
    expect([302, 303]).toContain(r.status);
    return new URL(r.headers.get('location')!).searchParams.get('code');
  };

  const sessionStart = async (): Promise<number> => {
    const user = await lk.services.store.accounts.findUserByEmail('grace@example.com');
    const rows = (await lk.services.store.rows('sessions')).filter((s) => s.user_id === user!.id);
    return Math.max(...rows.map((s) => Number(s.created_at)));
  };

  it('prompt=login signs in at the provider again; max_age and login_hint are passed on', async () => {
    const { go, seen } = browser('grace');
    // First connection: sign-in at the provider, then Latchkey's consent page.
    const consent = await go(authorizeUrl({ login_hint: 'grace@example.com' }));
    expect(consent.status).toBe(200);
    expect(seen.providerSignIns).toBe(1);
    expect(seen.upstreamRequests[0]!.get('login_hint')).toBe('grace@example.com');
    expect(seen.upstreamRequests[0]!.get('prompt')).toBeNull();
    const html = await consent.text();
    const approved = await go(`${lk.issuer}/consent`, {
      _csrf: hiddenField(html, '_csrf'),
      request: hiddenField(html, 'request'),
      decision: 'approve',
      org_id: /name="org_id" id="[^"]+" value="([^"]+)"/.exec(html)![1]!,
    });
    expect(code(approved)).toBeTruthy();
    const first = await sessionStart();

    // Consent is remembered and the session stands: a code, no sign-in anywhere.
    clock.advance(1000);
    expect(code(await go(authorizeUrl()))).toBeTruthy();
    expect(seen.providerSignIns).toBe(1);
    expect(seen.upstreamRequests).toHaveLength(1);

    // prompt=login: to the provider with prompt=login, whose sign-in form shows again.
    clock.advance(1000);
    expect(code(await go(authorizeUrl({ prompt: 'login' })))).toBeTruthy();
    expect(seen.providerSignIns).toBe(2);
    expect(seen.upstreamRequests[1]!.get('prompt')).toBe('login');
    const second = await sessionStart();
    expect(second).toBe(first + 2000);

    // max_age older than the session: to the provider with max_age (its own session is recent).
    clock.advance(120_000);
    expect(code(await go(authorizeUrl({ max_age: '60' })))).toBeTruthy();
    expect(seen.upstreamRequests[2]!.get('max_age')).toBe('60');
    expect(await sessionStart()).toBe(second + 120_000);
  });
});
