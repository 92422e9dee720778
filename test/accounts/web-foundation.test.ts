import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/crypto.ts';
import { cookieOptions, sessionCookieName } from '../../src/http/session.ts';
import type { Services } from '../../src/services.ts';
import { launchBrowser, screenshot, signIn } from '../helpers/browser.ts';
import { type Latchkey, startLatchkey, testClock } from '../helpers/latchkey.ts';
import { hiddenField, submitLogin } from '../helpers/web.ts';

describe('web foundation: sessions, pages, sign-in', () => {
  const clock = testClock();
  let lk: Latchkey;
  let person: { userId: string; email: string; password: string };

  beforeAll(async () => {
    lk = await startLatchkey({ clock, env: { LATCHKEY_SESSION_TTL: '3600' } });
    person = await lk.createUser({ email: 'ada@example.com' });
    const second = await lk.createOrganization('Second GmbH');
    await lk.services.store.accounts.addMembership(second, person.userId, 'member');
  });
  afterAll(() => lk.close());

  const login = (email: string, password: string, next = '/') =>
    submitLogin(lk.issuer, email, password, next);

  it('serves the sign-in page with a strict CSP and no framing', async () => {
    const response = await fetch(`${lk.issuer}/login`);
    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    const html = await response.text();
    expect(html).toContain('<label for="email">Email address</label>');
    expect(html).not.toMatch(/<script>|style="/);
    expect(response.headers.getSetCookie().join()).toMatch(/latchkey_login=.*HttpOnly.*SameSite=Lax/i);
  });

  it('serves the stylesheet with caching', async () => {
    const html = await (await fetch(`${lk.issuer}/login`)).text();
    const href = /href="(\/assets\/app\.css\?v=[^"]+)"/.exec(html)![1]!;
    const css = await fetch(`${lk.issuer}${href}`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toContain('text/css');
    expect(css.headers.get('cache-control')).toContain('immutable');
  });

  it('signs in, sets an HttpOnly SameSite=Lax session cookie and redirects to a same-origin next', async () => {
    const { response, jar: c } = await login(person.email, person.password, '/settings/api?x=1');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/settings/api?x=1');
    const set = response.headers.getSetCookie().find((l) => l.startsWith('latchkey_session='))!;
    expect(set).toMatch(/HttpOnly/i);
    expect(set).toMatch(/SameSite=Lax/i);
    expect(set).toMatch(/Path=\//);
    expect(set).not.toMatch(/Secure/i); // http issuer on loopback
    expect(c.get('latchkey_session')).toBeTruthy();
  });

  it('never redirects to another origin after sign-in', async () => {
    for (const next of [
      '//evil.example/x',
      'https://evil.example/',
      '/\\evil.example',
      'javascript:alert(1)',
    ]) {
      const { response } = await login(person.email, person.password, next);
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe('/');
    }
  });

  it('refuses a sign-in form without the login CSRF token', async () => {
    const response = await fetch(`${lk.issuer}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: person.email, password: person.password }),
    });
    expect(response.status).toBe(403);
    expect(response.headers.getSetCookie().some((l) => l.startsWith('latchkey_session='))).toBe(false);
  });

  it('slows down repeated wrong passwords per account and says when to try again', async () => {
    const victim = await lk.createUser({ email: 'grace@example.com' });
    for (let i = 0; i < 5; i++) {
      const { response } = await login(victim.email, 'wrong password!');
      expect(response.status).toBe(401);
    }
    const { response } = await login(victim.email, victim.password);
    expect(response.status).toBe(429);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await response.text()).toMatch(/try again in \d+ minutes? \(after \d\d:\d\d UTC\)/);
    clock.advance(15 * 60_000);
    expect((await login(victim.email, victim.password)).response.status).toBe(303);
  });

  it('slows down repeated wrong passwords per address, across accounts', async () => {
    clock.advance(15 * 60_000);
    let last: Response | undefined;
    for (let i = 0; i < 21; i++) last = (await login(`nobody${i}@example.com`, 'wrong password!')).response;
    expect(last!.status).toBe(429);
    expect(await last!.text()).toContain('Too many failed sign-in attempts');
    clock.advance(15 * 60_000);
  });

  it('protects pages: GET redirects to sign-in, POST without CSRF is 403, sessions expire', async () => {
    const { jar: c } = await login(person.email, person.password);
    // Switch organization: without CSRF → 403; with it → 303 back.
    const noCsrf = await fetch(`${lk.issuer}/session/org`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: c.header() },
      body: 'org_id=x&next=/',
    });
    expect(noCsrf.status).toBe(403);
    const home = await fetch(`${lk.issuer}/`, { headers: { cookie: c.header() } });
    const html = await home.text();
    expect(html).toContain('Second GmbH');
    const second = /<option value="([^"]+)"[^>]*>Second GmbH<\/option>/.exec(html)![1]!;
    const switched = await fetch(`${lk.issuer}/session/org`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: c.header() },
      body: new URLSearchParams({ org_id: second, _csrf: hiddenField(html, '_csrf'), next: '/' }),
    });
    expect(switched.status).toBe(303);
    const after = await (await fetch(`${lk.issuer}/`, { headers: { cookie: c.header() } })).text();
    expect(after).toMatch(/in <strong>Second GmbH<\/strong>/);

    clock.advance(3601_000);
    const expired = await fetch(`${lk.issuer}/`, { redirect: 'manual', headers: { cookie: c.header() } });
    expect(expired.status).toBe(303);
    expect(expired.headers.get('location')).toBe('/login');
  });

  it('signs out with POST and CSRF', async () => {
    const { jar: c } = await login(person.email, person.password);
    const html = await (await fetch(`${lk.issuer}/`, { headers: { cookie: c.header() } })).text();
    const out = await fetch(`${lk.issuer}/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: c.header() },
      body: new URLSearchParams({ _csrf: hiddenField(html, '_csrf') }),
    });
    expect(out.status).toBe(303);
    const again = await fetch(`${lk.issuer}/`, { redirect: 'manual', headers: { cookie: c.header() } });
    expect(again.headers.get('location')).toBe('/login');
  });

  it('names the cookie __Host- and marks it Secure when the issuer is https', () => {
    const https = { config: { ...lk.services.config, issuer: 'https://auth.example.com' } } as Services;
    expect(sessionCookieName(https)).toBe('__Host-latchkey_session');
    expect(cookieOptions(https, 60)).toMatchObject({
      secure: true,
      httpOnly: true,
      sameSite: 'lax',
      path: '/',
    });
    expect(sessionCookieName(lk.services)).toBe('latchkey_session');
  });

  it('stores only the SHA-256 of session ids', async () => {
    const { jar: c } = await login(person.email, person.password);
    const id = c.get('latchkey_session')!;
    const rows = await lk.services.store.rows('sessions');
    expect(rows.some((r) => r.id_hash === id)).toBe(false);
    expect(rows.some((r) => r.id_hash === sha256(id))).toBe(true);
  });

  describe('in Chromium', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchBrowser();
    });
    afterAll(() => browser?.close());

    it('signs in by keyboard at phone width with JavaScript off', async () => {
      const context = await browser.newContext({
        viewport: { width: 375, height: 740 },
        javaScriptEnabled: false,
      });
      const page = await context.newPage();
      await page.goto(`${lk.issuer}/login`);
      await screenshot(page, 'login-phone');
      // The email field has autofocus; everything else is reached with Tab.
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('email');
      await page.keyboard.type(person.email);
      await page.keyboard.press('Tab');
      await page.keyboard.type(person.password);
      await Promise.all([page.waitForURL(`${lk.issuer}/`), page.keyboard.press('Enter')]);
      await screenshot(page, 'home-phone');
      expect(await page.getByText('Signed in as').textContent()).toContain(person.email);
      await context.close();
    });

    it('shows the error summary for a wrong password', async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${lk.issuer}/login`);
      await page.getByLabel('Email address').fill(person.email);
      await page.getByLabel('Password').fill('not my password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForSelector('.error-summary');
      await screenshot(page, 'login-error');
      await signIn(page, lk.issuer, person.email, person.password);
      expect(new URL(page.url()).pathname).toBe('/');
      await context.close();
    });
  });
});
