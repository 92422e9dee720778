import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Latchkey, startLatchkey, type TestClient } from '../helpers/latchkey.ts';
import { authorizationUrl } from '../helpers/oauth-clients.ts';
import { consentForm } from '../helpers/oauth-flow.ts';
import { submitLogin } from '../helpers/web.ts';

/**
 * The whole authorization-code flow, with oauth4webapi as the client, against an issuer under a
 * path (LATCHKEY_ISSUER=http://127.0.0.1:PORT/auth): discovery through the RFC 8414 §3.1
 * path-inserted metadata URL, sign-in, consent, code, tokens, /api/v1/me, refresh.
 */
describe('authorization code flow under /auth with oauth4webapi', () => {
  let lk: Latchkey;
  let registered: TestClient;
  let as: oauth.AuthorizationServer;
  const redirectUri = 'http://127.0.0.1:9999/callback';
  const insecure = { [oauth.allowInsecureRequests]: true };
  const discoveryUrls: string[] = [];

  beforeAll(async () => {
    lk = await startLatchkey({ issuerPath: '/auth' });
    registered = await lk.createClient({ redirectUris: [redirectUri], scopes: ['invoices:read'] });
    const issuer = new URL(lk.issuer);
    const response = await oauth.discoveryRequest(issuer, {
      algorithm: 'oauth2',
      ...insecure,
      [oauth.customFetch]: (url: string, init: RequestInit) => {
        discoveryUrls.push(url);
        return fetch(url, init);
      },
    });
    as = await oauth.processDiscoveryResponse(issuer, response);
  });
  afterAll(() => lk?.close());

  it('discovers the metadata at the path-inserted URL, every endpoint under /auth', () => {
    const origin = new URL(lk.issuer).origin;
    expect(lk.issuer).toBe(`${origin}/auth`);
    expect(discoveryUrls).toEqual([`${origin}/.well-known/oauth-authorization-server/auth`]);
    expect(as).toMatchObject({
      issuer: lk.issuer,
      authorization_endpoint: `${lk.issuer}/oauth/authorize`,
      token_endpoint: `${lk.issuer}/oauth/token`,
      jwks_uri: `${lk.issuer}/.well-known/jwks.json`,
    });
  });

  it('signs in, consents, exchanges the code, calls /api/v1/me and refreshes', async () => {
    const client: oauth.Client = { client_id: registered.clientId };
    const auth = oauth.ClientSecretBasic(registered.clientSecret);
    const {
      url: authorize,
      verifier,
      state,
    } = await authorizationUrl(as, client.client_id, redirectUri, 'invoices:read');

    // Not signed in: to the sign-in page under /auth, with the consent page under /auth as `next`.
    const start = await fetch(authorize, { redirect: 'manual' });
    expect(start.status).toBe(302);
    const toLogin = new URL(start.headers.get('location')!, lk.issuer);
    expect(toLogin.pathname).toBe('/auth/login');
    const next = toLogin.searchParams.get('next')!;
    expect(next).toMatch(/^\/auth\/consent\?request=/);

    const person = await lk.createUser();
    const { jar, response } = await submitLogin(lk.issuer, person.email, person.password, next);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(next);
    expect(response.headers.getSetCookie().join('\n')).toMatch(/latchkey_session=[^;]+;.*Path=\/auth;/);

    const consentUrl = new URL(next, lk.issuer);
    const page = await fetch(consentUrl, { headers: { cookie: jar.header() } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('action="/auth/consent"');
    const decided = await fetch(new URL('/auth/consent', lk.issuer), {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header() },
      body: new URLSearchParams(consentForm(html, lk.orgId)),
    });
    expect(decided.status).toBe(303);
    const callback = new URL(decided.headers.get('location')!);
    expect(callback.searchParams.get('iss')).toBe(lk.issuer);

    const params = oauth.validateAuthResponse(as, client, callback, state);
    const tokens = await oauth.processAuthorizationCodeResponse(
      as,
      client,
      await oauth.authorizationCodeGrantRequest(as, client, auth, params, redirectUri, verifier, insecure),
    );
    const me = await fetch(`${lk.issuer}/api/v1/me`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(await me.json()).toMatchObject({ sub: person.userId, client_id: registered.clientId });
    const claims = await oauth.validateJwtAccessToken(
      as,
      new Request(`${lk.issuer}/api/v1/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } }),
      lk.issuer,
      insecure,
    );
    expect(claims.iss).toBe(lk.issuer);

    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, auth, tokens.refresh_token!, insecure),
    );
    expect(refreshed.access_token).toBeTruthy();
  });
});
