import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { safeNext } from '../../src/http/login.tsx';
import { type Latchkey, requestToken, startLatchkey } from '../helpers/latchkey.ts';
import { hiddenField, submitLogin } from '../helpers/web.ts';

/** An issuer under /auth: everything answers there, nothing outside but the probes and RFC 8414 §3.1. */
describe('issuer under /auth over HTTP', () => {
  let lk: Latchkey;
  let origin: string;

  beforeAll(async () => {
    lk = await startLatchkey({ issuerPath: '/auth' });
    origin = new URL(lk.issuer).origin;
  });
  afterAll(() => lk?.close());

  it('answers nothing outside the prefix except the health probes and the path-inserted metadata', async () => {
    const outside = [
      '/',
      '/login',
      '/settings/api',
      '/settings/connected-apps',
      '/consent',
      '/oauth/authorize',
      '/oauth/token',
      '/.well-known/oauth-authorization-server',
      '/.well-known/jwks.json',
      '/pem',
      '/api/v1/me',
      '/admin/v1/openapi.json',
      '/assets/app.css',
      '/authx/login',
    ];
    for (const path of outside) {
      const response = await fetch(`${origin}${path}`, { redirect: 'manual' });
      expect({ path, status: response.status }).toEqual({ path, status: 404 });
    }
    const posted = await fetch(`${origin}/oauth/token`, { method: 'POST', body: 'grant_type=x' });
    expect(posted.status).toBe(404);
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      expect((await fetch(`${origin}${path}`)).status).toBe(200);
      expect((await fetch(`${lk.issuer}${path}`)).status).toBe(200);
    }
  });

  it('serves the metadata at the path-inserted URL and at {issuer}/.well-known/…', async () => {
    const inserted = await fetch(`${origin}/.well-known/oauth-authorization-server/auth`);
    const appended = await fetch(`${lk.issuer}/.well-known/oauth-authorization-server`);
    const metadata = await inserted.json();
    expect(await appended.json()).toEqual(metadata);
    expect(metadata.issuer).toBe(lk.issuer);
    expect((await fetch(metadata.jwks_uri)).status).toBe(200);
    expect((await fetch(`${lk.issuer}/pem`)).status).toBe(200);
  });

  it('links pages, assets and forms under /auth; cookies have Path=/auth', async () => {
    const login = await fetch(`${lk.issuer}/login`);
    const html = await login.text();
    expect(html).toContain('action="/auth/login"');
    const assets = [...html.matchAll(/(?:href|src)="([^"#]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThan(1);
    for (const url of assets.filter((u) => u.startsWith('/'))) {
      expect(url.startsWith('/auth/')).toBe(true);
      expect((await fetch(`${origin}${url}`)).status).toBe(200);
    }
    expect(login.headers.getSetCookie()).toEqual([
      expect.stringMatching(/^latchkey_login=[^;]+;.*Path=\/auth;/),
    ]);
    // Signed in, the start page, the header and the console link under /auth only.
    const person = await lk.createUser();
    const { jar } = await submitLogin(lk.issuer, person.email, person.password, '/auth/settings/api');
    const start = await (await fetch(`${lk.issuer}/`, { headers: { cookie: jar.header() } })).text();
    const links = [...start.matchAll(/(?:href|action|src)="(\/[^"]*)"/g)].map((m) => m[1]!);
    expect(links).toEqual(expect.arrayContaining(['/auth/', '/auth/settings/api', '/auth/logout']));
    expect(links.filter((l) => !l.startsWith('/auth/'))).toEqual([]);
    // Sign-out clears the cookie on the same path and goes to /auth/login.
    const out = await fetch(`${lk.issuer}/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header() },
      body: new URLSearchParams({ _csrf: hiddenField(start, '_csrf') }),
    });
    expect(out.headers.get('location')).toBe('/auth/login');
    expect(out.headers.getSetCookie().join()).toMatch(/latchkey_session=;.*Path=\/auth;/);
    // A console page without a session sends to the sign-in page under the prefix.
    const guarded = await fetch(`${lk.issuer}/settings/api`, { redirect: 'manual' });
    expect(guarded.headers.get('location')).toBe('/auth/login?next=%2Fauth%2Fsettings%2Fapi');
  });

  it('refuses a sign-in `next` outside the prefix', async () => {
    const issuer = lk.issuer;
    expect(safeNext('/auth/settings/api?x=1', issuer)).toBe('/auth/settings/api?x=1');
    expect(safeNext('/auth', issuer)).toBe('/auth');
    for (const next of [
      '/',
      '/settings/api',
      '/authority',
      '/auth/../admin',
      '/auth/%2e%2e/admin',
      '/auth/./../x',
      '//evil.example/auth',
      'https://evil.example/auth/',
      '/auth\\..\\x',
    ]) {
      expect({ next, to: safeNext(next, issuer) }).toEqual({ next, to: '/auth/' });
    }
    const person = await lk.createUser();
    const { response } = await submitLogin(lk.issuer, person.email, person.password, '/other-app/');
    expect(response.headers.get('location')).toBe('/auth/');
  });

  it('serves the admin API under /auth/admin/v1 with the issuer as its OpenAPI server', async () => {
    const admin = await lk.createClient({ grants: ['client_credentials'], scopes: ['latchkey:admin'] });
    const token = await requestToken(lk.issuer, admin, { body: { scope: 'latchkey:admin' } });
    const { access_token } = await token.json();
    const created = await fetch(`${lk.issuer}/admin/v1/organizations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Under a path' }),
    });
    expect(created.status).toBe(201);
    const openapi = await (await fetch(`${lk.issuer}/admin/v1/openapi.json`)).json();
    expect(openapi.servers).toEqual([{ url: lk.issuer }]);
    expect(Object.keys(openapi.paths)).toContain('/admin/v1/organizations');
    expect(Object.keys(openapi.paths).filter((p) => p.startsWith('/auth'))).toEqual([]);
  });
});

describe('cookie names for an https issuer', () => {
  it('uses __Secure- with Path=/auth under a path, __Host- with Path=/ at the root', async () => {
    for (const [issuer, cookie] of [
      ['https://platform.example/auth', /^__Secure-latchkey_login=[^;]+;.*Path=\/auth;.*Secure/],
      ['https://platform.example', /^__Host-latchkey_login=[^;]+;.*Path=\/;.*Secure/],
    ] as const) {
      const lk = await startLatchkey({ env: { LATCHKEY_ISSUER: issuer } });
      try {
        const path = new URL(issuer).pathname.replace(/^\/$/, '');
        const response = await fetch(`${lk.server.url}${path}/login`);
        expect(response.status).toBe(200);
        expect(response.headers.getSetCookie()).toEqual([expect.stringMatching(cookie)]);
      } finally {
        await lk.close();
      }
    }
  });
});
