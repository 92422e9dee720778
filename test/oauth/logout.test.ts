import { generateKeyPairSync, sign } from 'node:crypto';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Latchkey, startLatchkey, type TestClient } from '../helpers/latchkey.ts';
import { Person } from '../helpers/oauth-flow.ts';
import { startLatchkeyOnPostgres } from '../helpers/postgres.ts';
import { hiddenField } from '../helpers/web.ts';

/**
 * RP-Initiated Logout 1.0 at /oauth/logout against a running server, at the root and under an issuer
 * with a path. The logout URLs are built by openid-client's buildEndSessionUrl; the ID tokens given
 * as `id_token_hint` are signed by the server's own key ring (the function that signs its tokens).
 */
const back = 'https://app.example.com/signed-out';

describe.each([
  { database: 'SQLite', issuerPath: '' },
  { database: 'SQLite', issuerPath: '/auth' },
  { database: 'PostgreSQL', issuerPath: '' },
])('RP-Initiated Logout ($database, issuer path "$issuerPath")', ({ database, issuerPath }) => {
  let lk: Latchkey;
  let client: TestClient;
  let rp: oidc.Configuration;

  beforeAll(async () => {
    lk = await (database === 'PostgreSQL' ? startLatchkeyOnPostgres : startLatchkey)({ issuerPath });
    client = await lk.createClient({ name: 'Ledger Sync', postLogoutRedirectUris: [back] });
    // The metadata discovery will publish (end_session_endpoint), given directly.
    rp = new oidc.Configuration(
      { issuer: lk.issuer, end_session_endpoint: `${lk.issuer}/oauth/logout` },
      client.clientId,
      client.clientSecret,
    );
    oidc.allowInsecureRequests(rp);
  });
  afterAll(() => lk.close());

  /** An ID token for `sub` and this client, signed as the server signs (expired when `expired`). */
  const idToken = (sub: string, extra: Record<string, unknown> = {}) => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: lk.issuer, sub, aud: client.clientId, iat: now - 60, exp: now + 300, ...extra };
    return lk.services.keys.signJwt(claims, 'JWT');
  };

  async function signedIn(): Promise<{ person: Person; userId: string }> {
    const u = await lk.createUser();
    const person = new Person(lk, u.email, u.password);
    await person.signIn();
    return { person, userId: u.userId };
  }

  const isSignedIn = async (person: Person) => (await person.get('/')).status === 200;

  it('a hint for the signed-in person: signed out at once, back to the registered URL with state', async () => {
    const { person, userId } = await signedIn();
    const url = oidc.buildEndSessionUrl(rp, {
      id_token_hint: await idToken(userId),
      post_logout_redirect_uri: back,
      state: 'bye & back',
    });
    const r = await person.get(url.href);
    expect(r.status).toBe(302);
    expect(r.headers.get('location')).toBe(`${back}?state=bye%20%26%20back`);
    expect(await isSignedIn(person)).toBe(false);
    const sessions = (await lk.services.store.rows('sessions')).filter((s) => s.user_id === userId);
    expect(sessions).toHaveLength(0);
  });

  it('accepts an expired hint (§4), and a form POST from the app', async () => {
    const { person, userId } = await signedIn();
    const now = Math.floor(Date.now() / 1000);
    const hint = await idToken(userId, { iat: now - 7200, exp: now - 3600 });
    const posted = await person.post('/oauth/logout', {
      id_token_hint: hint,
      post_logout_redirect_uri: back,
      state: 's1',
    });
    // Turned into the GET, which carries the SameSite=Lax session cookie from the app's site.
    expect(posted.status).toBe(303);
    const r = await person.get(posted.headers.get('location')!);
    expect(r.headers.get('location')).toBe(`${back}?state=s1`);
    expect(await isSignedIn(person)).toBe(false);
  });

  it('an unregistered post_logout_redirect_uri is a page, never a redirect', async () => {
    const { person, userId } = await signedIn();
    for (const uri of ['https://evil.example/steal', `${back}/`, `${back}?x=1`]) {
      const url = oidc.buildEndSessionUrl(rp, {
        id_token_hint: await idToken(userId),
        post_logout_redirect_uri: uri,
        state: 'st',
      });
      const r = await person.get(url.href);
      expect(r.status).toBe(400);
      expect(r.headers.get('location')).toBeNull();
      const html = await r.text();
      expect(html).toContain('is not registered for it');
      expect(html).toContain('Ledger Sync');
    }
    expect(await isSignedIn(person)).toBe(true);
  });

  it('refuses hints that are not ours or do not fit, and a return URL without a client', async () => {
    const { person, userId } = await signedIn();
    const other = await lk.createClient({ name: 'Other', postLogoutRedirectUris: [back] });
    // The same claims under a key that is not the server's.
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const genuine = await idToken(userId);
    const [header, payload] = genuine.split('.');
    const forged = `${header}.${payload}.${sign('sha256', Buffer.from(`${header}.${payload}`), {
      key: privateKey,
      dsaEncoding: 'ieee-p1363',
    }).toString('base64url')}`;
    const cases: [Record<string, string>, string][] = [
      [{ id_token_hint: forged }, 'was not issued here'],
      [{ id_token_hint: await idToken(userId, { iss: 'https://elsewhere.example' }) }, 'was not issued here'],
      [{ id_token_hint: 'not.a.token' }, 'was not issued here'],
      // An access token is not an ID token.
      [
        {
          id_token_hint: await lk.services.keys.signJwt(
            { iss: lk.issuer, sub: userId, aud: client.clientId },
            'at+jwt',
          ),
        },
        'was not issued here',
      ],
      [{ id_token_hint: genuine, client_id: other.clientId }, 'named itself differently'],
      [{ client_id: 'lkc_nobody' }, 'not known here'],
    ];
    for (const [params, words] of cases) {
      const r = await person.get(
        `/oauth/logout?${new URLSearchParams({ ...params, post_logout_redirect_uri: back })}`,
      );
      expect(r.status).toBe(400);
      expect(r.headers.get('location')).toBeNull();
      expect(await r.text()).toContain(words);
    }
    const anonymous = await person.get(
      `/oauth/logout?${new URLSearchParams({ post_logout_redirect_uri: back })}`,
    );
    expect(anonymous.status).toBe(400);
    expect(anonymous.headers.get('location')).toBeNull();
    expect(await isSignedIn(person)).toBe(true);
  });

  it('without a hint, or with one for someone else: asks first; the form needs its CSRF token', async () => {
    const { person } = await signedIn();
    const someoneElse = await lk.createUser();
    for (const hint of [undefined, await idToken(someoneElse.userId)]) {
      const url = oidc.buildEndSessionUrl(rp, {
        ...(hint && { id_token_hint: hint }),
        post_logout_redirect_uri: back,
        state: 'st-2',
      });
      const page = await person.get(url.href);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('Sign out of Latchkey?');
      expect(html).toContain('<strong>Ledger Sync</strong> asks to sign you out');
      expect(page.headers.get('content-security-policy')).toContain(
        "form-action 'self' https://app.example.com",
      );
      expect(await isSignedIn(person)).toBe(true);

      const form = {
        client_id: hiddenField(html, 'client_id'),
        post_logout_redirect_uri: hiddenField(html, 'post_logout_redirect_uri'),
        state: hiddenField(html, 'state'),
        confirm: 'yes',
      };
      const forged = await person.post('/oauth/logout', form);
      expect(forged.status).toBe(403);
      expect(forged.headers.get('location')).toBeNull();
      const wrong = await person.post('/oauth/logout', { ...form, _csrf: 'x'.repeat(43) });
      expect(wrong.status).toBe(403);
      expect(await isSignedIn(person)).toBe(true);
      // A confirmation cannot return to an unregistered URL either.
      const elsewhere = await person.post('/oauth/logout', {
        ...form,
        _csrf: hiddenField(html, '_csrf'),
        post_logout_redirect_uri: 'https://evil.example/',
      });
      expect(elsewhere.status).toBe(400);
      expect(await isSignedIn(person)).toBe(true);
    }
    const html = await (
      await person.get(
        `/oauth/logout?client_id=${client.clientId}&post_logout_redirect_uri=${encodeURIComponent(back)}&state=st-3`,
      )
    ).text();
    const confirmed = await person.post('/oauth/logout', {
      _csrf: hiddenField(html, '_csrf'),
      client_id: hiddenField(html, 'client_id'),
      post_logout_redirect_uri: hiddenField(html, 'post_logout_redirect_uri'),
      state: hiddenField(html, 'state'),
      confirm: 'yes',
    });
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.get('location')).toBe(`${back}?state=st-3`);
    expect(await isSignedIn(person)).toBe(false);
  });

  it('with no session: back to the registered URL, or a "You are signed out" page', async () => {
    const nobody = new Person(lk, 'nobody@example.com', 'x');
    const url = oidc.buildEndSessionUrl(rp, { post_logout_redirect_uri: back, state: 'st-4' });
    const r = await nobody.get(url.href);
    expect(r.status).toBe(302);
    expect(r.headers.get('location')).toBe(`${back}?state=st-4`);
    const plain = await nobody.get('/oauth/logout');
    expect(plain.status).toBe(200);
    expect(await plain.text()).toContain('You are signed out');
  });
});
