import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot } from '../helpers/browser.ts';
import type { Latchkey } from '../helpers/latchkey.ts';
import { type PlatformIdp, startLatchkeyWithPlatformIdp } from '../helpers/platform-idp.ts';

/**
 * Sign-in through the platform's OpenID provider (node-oidc-provider), in Chromium: the person
 * lands in the console with the organizations and roles of the claim, consents to an app as such a
 * person, and a changed claim changes their memberships at the next sign-in.
 */
describe('sign-in through the platform’s OpenID provider, in Chromium', { timeout: 90_000 }, () => {
  let lk: Latchkey;
  let idp: PlatformIdp;
  let browser: Browser;

  beforeAll(async () => {
    ({ lk, idp } = await startLatchkeyWithPlatformIdp());
    idp.accounts.set('ada', {
      email: 'ada@nordwind.example',
      email_verified: true,
      name: 'Ada Lovelace',
      orgs: [
        { id: 'org-nordwind', name: 'Nordwind Handels GmbH', role: 'developer' },
        { id: 'org-sued', name: 'Süd AG', role: 'member' },
      ],
    });
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await idp?.close();
    await lk?.close();
  });

  /** At the provider's development pages: sign in as `login`, then allow Latchkey. */
  async function signInAtIdp(page: Page, login: string): Promise<void> {
    await page.waitForURL((url) => url.origin === idp.issuer);
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill('anything');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    // Latchkey asked for openid email profile: the provider asks to confirm once per account.
    const consent = page.getByRole('button', { name: 'Continue' });
    await page.waitForURL((url) => url.origin !== idp.issuer || url.pathname.startsWith('/interaction'));
    if (new URL(page.url()).origin === idp.issuer && (await consent.count()) > 0) await consent.click();
  }

  const membershipsOf = async (email: string) => {
    const user = await lk.services.store.accounts.findUserByEmail(email);
    return user
      ? (await lk.services.store.accounts.memberships(user.id)).map((m) => `${m.orgName}:${m.role}`)
      : [];
  };

  it('signs a platform person into the console with the claim’s organizations and roles', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${lk.issuer}/settings/api`);
    await signInAtIdp(page, 'ada');
    await page.waitForURL(`${lk.issuer}/settings/api`);
    // Nordwind comes first by name and Ada is its developer: she manages credentials there.
    await expect(
      page.getByRole('heading', { name: 'API credentials', level: 1, exact: true }).isVisible(),
    ).resolves.toBe(true);
    await expect(page.locator('.user-email').textContent()).resolves.toBe('ada@nordwind.example');
    await screenshot(page, 'platform-login-console');
    expect(await membershipsOf('ada@nordwind.example')).toEqual([
      'Nordwind Handels GmbH:developer',
      'Süd AG:member',
    ]);
    const user = (await lk.services.store.accounts.findUserByEmail('ada@nordwind.example'))!;
    expect(user.name).toBe('Ada Lovelace');
    // No password: the account cannot be signed into with one.
    expect(user.passwordHash).toBe('');
    await context.close();
  });

  it('lets such a person consent to an app (authorize → sign-in → consent → code)', async () => {
    const org = (
      await lk.services.store.accounts.memberships(
        (await lk.services.store.accounts.findUserByEmail('ada@nordwind.example'))!.id,
      )
    )[0]!;
    const client = await lk.createClient({ name: 'Ledger Sync', orgId: org.orgId });
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.route('http://127.0.0.1:9999/**', (route) => route.fulfill({ body: 'connected' }));
    const authorize = new URL(`${lk.issuer}/oauth/authorize`);
    authorize.search = new URLSearchParams({
      response_type: 'code',
      client_id: client.clientId,
      redirect_uri: 'http://127.0.0.1:9999/callback',
      scope: 'profile:read',
      state: 'xyz',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    }).toString();
    await page.goto(authorize.href);
    await signInAtIdp(page, 'ada');
    await page.waitForURL(/\/consent\?/);
    await page.getByLabel(/Nordwind Handels GmbH/).check();
    const [callback] = await Promise.all([
      page.waitForRequest((r) => r.url().startsWith('http://127.0.0.1:9999/callback')),
      page.getByRole('button', { name: 'Allow access' }).click(),
    ]);
    const url = new URL(callback.url());
    expect(url.searchParams.get('state')).toBe('xyz');
    expect(url.searchParams.get('code')).toBeTruthy();
    await context.close();
  });

  it('follows a changed claim at the next sign-in: roles change, a dropped organization ends', async () => {
    idp.accounts.set('ada', {
      ...idp.accounts.get('ada'),
      orgs: [
        { id: 'org-nordwind', name: 'Nordwind Handels GmbH', role: 'admin' },
        { id: 'org-ost', name: 'Ost KG', role: 'member' },
      ],
    });
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${lk.issuer}/login`);
    await signInAtIdp(page, 'ada');
    await page.waitForURL(`${lk.issuer}/`);
    expect(await membershipsOf('ada@nordwind.example')).toEqual([
      'Nordwind Handels GmbH:admin',
      'Ost KG:member',
    ]);
    await context.close();
  });

  it('shows a page that says sign-in was cancelled when the person cancels at the provider', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${lk.issuer}/settings/api`);
    await page.waitForURL((url) => url.origin === idp.issuer);
    await page.getByRole('link', { name: '[ Cancel ]' }).click();
    await page.waitForURL((url) => url.pathname === '/login/oidc/callback');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(
      'Sign-in was cancelled',
    );
    await expect(page.getByRole('link', { name: 'Try again' }).getAttribute('href')).resolves.toBe(
      '/login/oidc?next=%2Fsettings%2Fapi',
    );
    await screenshot(page, 'platform-login-cancelled');
    await context.close();
  });
});
