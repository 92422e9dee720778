import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot } from '../helpers/browser.ts';
import { freePort, type Latchkey, startLatchkey } from '../helpers/latchkey.ts';
import { type PlatformIdp, startPlatformIdp } from '../helpers/platform-idp.ts';
import { startTlsProxy } from '../helpers/tls.ts';

/**
 * Sign-in through the platform's OpenID provider with Latchkey at https://localhost:PORT/auth behind
 * a TLS proxy, in Chromium: over https every cookie is Secure and prefixed, and under a path the
 * prefix must be `__Secure-` (a `__Host-` cookie with Path=/auth is dropped by the browser, and the
 * sign-in could never complete).
 */
describe('platform sign-in under https://…/auth in Chromium', { timeout: 90_000 }, () => {
  let lk: Latchkey;
  let idp: PlatformIdp;
  let proxy: Awaited<ReturnType<typeof startTlsProxy>>;
  let browser: Browser;
  let issuer: string;

  beforeAll(async () => {
    const [idpPort, tlsPort] = [await freePort(), await freePort()];
    issuer = `https://localhost:${tlsPort}/auth`;
    lk = await startLatchkey({
      issuerPath: '/auth',
      env: {
        LATCHKEY_ISSUER: issuer,
        LATCHKEY_LOGIN_OIDC_ISSUER: `http://localhost:${idpPort}`,
        LATCHKEY_LOGIN_OIDC_CLIENT_ID: 'latchkey',
        LATCHKEY_LOGIN_OIDC_CLIENT_SECRET: 'platform-idp-secret-for-latchkey-0123456789',
      },
    });
    proxy = await startTlsProxy(tlsPort, lk.issuer);
    idp = await startPlatformIdp({ latchkeyIssuer: issuer, port: idpPort });
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await idp?.close();
    await proxy?.close();
    await lk?.close();
  });

  const newContext = () => browser.newContext({ ignoreHTTPSErrors: true });

  /** At the provider's development pages: sign in as `login`, then allow Latchkey. */
  async function signInAtIdp(page: Page, login: string): Promise<void> {
    await page.waitForURL((url) => url.origin === idp.issuer);
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill('anything');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    const consent = page.getByRole('button', { name: 'Continue' });
    await page.waitForURL((url) => url.origin !== idp.issuer || url.pathname.startsWith('/interaction'));
    if (new URL(page.url()).origin === idp.issuer && (await consent.count()) > 0) await consent.click();
  }

  const latchkeyCookies = async (context: BrowserContext) =>
    (await context.cookies(issuer))
      .filter((c) => c.name.includes('latchkey'))
      .map((c) => ({ name: c.name, path: c.path, secure: c.secure }));

  it('stores the sign-in cookie as __Secure- with Path=/auth and completes the sign-in', async () => {
    idp.accounts.set('grace', { email: 'grace@platform.example', email_verified: true, name: 'Grace' });
    const context = await newContext();
    const page = await context.newPage();
    await page.goto(`${issuer}/`);
    await page.waitForURL((url) => url.origin === idp.issuer);
    // On the way to the provider, the browser kept the cookie that ties the callback to this sign-in.
    expect(await latchkeyCookies(context)).toEqual([
      { name: '__Secure-latchkey_oidc', path: '/auth', secure: true },
    ]);
    await signInAtIdp(page, 'grace');
    await page.waitForURL(`${issuer}/`);
    await expect(page.locator('main').textContent()).resolves.toContain('grace@platform.example');
    await screenshot(page, 'path-prefix-platform-login');
    expect(await latchkeyCookies(context)).toEqual([
      { name: '__Secure-latchkey_session', path: '/auth', secure: true },
    ]);
    await context.close();
  });

  it('sends an invited person without an account to the provider first, then to accept', async () => {
    // An organization made here (no organizations claim): its admin invites, as with passwords.
    const boss = await lk.createUser({ email: 'boss@platform.example', role: 'admin' });
    idp.accounts.set('boss', { email: boss.email, email_verified: true, name: 'Boss' });
    idp.accounts.set('newbie', { email: 'newbie@platform.example', email_verified: true, name: 'Newbie' });
    const adminContext = await newContext();
    const adminPage = await adminContext.newPage();
    await adminPage.goto(`${issuer}/settings/members`);
    await signInAtIdp(adminPage, 'boss');
    await adminPage.waitForURL(`${issuer}/settings/members`);
    await adminPage.getByLabel('Email address').fill('newbie@platform.example');
    await adminPage.locator('#invite-role').selectOption('developer');
    await adminPage.getByRole('button', { name: 'Create invitation link' }).click();
    const link = await adminPage.getByLabel('Invitation link').inputValue();
    expect(link).toMatch(new RegExp(`^${issuer}/invitations/[\\w-]{43}$`));
    await adminContext.close();

    const context = await newContext();
    const page = await context.newPage();
    await page.goto(link);
    await signInAtIdp(page, 'newbie');
    await page.waitForURL(link);
    await page.getByRole('button', { name: 'Accept invitation' }).click();
    await page.waitForURL(`${issuer}/`);
    await expect(page.locator('main').textContent()).resolves.toContain(
      'Signed in as newbie@platform.example in Test Organization',
    );
    const user = (await lk.services.store.accounts.findUserByEmail('newbie@platform.example'))!;
    expect((await lk.services.store.accounts.memberships(user.id)).map((m) => m.role)).toEqual(['developer']);
    expect(user.passwordHash).toBe('');
    await context.close();
  });
});

describe('platform sign-in at the root of an https issuer', () => {
  it('keeps the __Host- prefix and Path=/ there', async () => {
    const idpPort = await freePort();
    const lk = await startLatchkey({
      env: {
        LATCHKEY_ISSUER: 'https://localhost:8443',
        LATCHKEY_LOGIN_OIDC_ISSUER: `http://localhost:${idpPort}`,
        LATCHKEY_LOGIN_OIDC_CLIENT_ID: 'latchkey',
        LATCHKEY_LOGIN_OIDC_CLIENT_SECRET: 'platform-idp-secret-for-latchkey-0123456789',
      },
    });
    const idp = await startPlatformIdp({ latchkeyIssuer: 'https://localhost:8443', port: idpPort });
    try {
      // lk.issuer is where the server listens (plain http, as behind the TLS proxy).
      const start = await fetch(`${lk.issuer}/login/oidc`, { redirect: 'manual' });
      expect(start.status).toBe(303);
      const [cookie] = start.headers.getSetCookie();
      expect(cookie).toMatch(
        /^__Host-latchkey_oidc=[^;]+; Max-Age=600; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
      );
    } finally {
      await idp.close();
      await lk.close();
    }
  });
});
