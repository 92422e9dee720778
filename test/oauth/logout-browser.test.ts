import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot, signIn, startReturnApp } from '../helpers/browser.ts';
import { type Latchkey, startLatchkey } from '../helpers/latchkey.ts';

/**
 * In Chromium: the sign-out return URLs saved from the console's forms, and the logout confirmation
 * page, whose confirmation signs out and lands on the app's registered URL with `state` (the page's
 * form-action allows that redirect, as Chromium enforces it after a POST).
 */
describe('sign-out return URLs and the logout confirmation in Chromium', { timeout: 60_000 }, () => {
  let lk: Latchkey;
  let browser: Browser;
  let app: Awaited<ReturnType<typeof startReturnApp>>;
  let back = '';
  let person: { email: string; password: string };

  beforeAll(async () => {
    lk = await startLatchkey();
    person = await lk.createUser({ role: 'admin' });
    // The app the browser returns to: http is allowed for loopback addresses.
    app = await startReturnApp('<!doctype html><title>App</title><h1>Bye</h1>');
    back = `${app.base}/signed-out`;
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await lk?.close();
  });

  let clientId = '';

  it('the generate and edit forms save the sign-out return URLs', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, lk.issuer, person.email, person.password, '/settings/api/new');
    await page.getByLabel('Name').fill('Ledger Sync');
    await page.getByLabel('Redirect URL 1', { exact: true }).fill('https://ledger.example/callback');
    await page.getByLabel('Sign-out return URLs (optional)').fill(`${back}\nhttp://ledger.example/bye`);
    await page.getByRole('button', { name: 'Generate credentials' }).click();
    await expect(
      page
        .getByText('Sign-out return URL 2: Use https; http is allowed only for localhost')
        .first()
        .isVisible(),
    ).resolves.toBe(true);
    await page.getByLabel('Sign-out return URLs (optional)').fill(back);
    await Promise.all([
      page.waitForURL((url) => url.pathname === '/settings/api'),
      page.getByRole('button', { name: 'Generate credentials' }).click(),
    ]);
    clientId = (await page.locator('#lk-created-client-id').textContent())!.trim();
    expect((await lk.services.store.clients.find(clientId))!.postLogoutRedirectUris).toEqual([back]);

    await page.goto(`${lk.issuer}/settings/api/${clientId}`);
    const field = page.getByLabel('Sign-out return URLs (optional)');
    await expect(field.inputValue()).resolves.toBe(back);
    await field.fill(`${back}\n${back}?again=1`);
    await Promise.all([
      page.waitForURL(/notice=updated/),
      page.getByRole('button', { name: 'Save changes' }).click(),
    ]);
    expect((await lk.services.store.clients.find(clientId))!.postLogoutRedirectUris).toEqual([
      back,
      `${back}?again=1`,
    ]);
    await screenshot(page, 'logout-console-saved');
    await context.close();
  });

  it('asks "Sign out of Latchkey?", then signs out and returns to the app with state', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, lk.issuer, person.email, person.password);
    const query = new URLSearchParams({
      client_id: clientId,
      post_logout_redirect_uri: back,
      state: 'st 42',
    });
    await page.goto(`${lk.issuer}/oauth/logout?${query}`);
    await expect(page.getByRole('heading', { name: 'Sign out of Latchkey?' }).isVisible()).resolves.toBe(
      true,
    );
    await expect(page.getByText('Ledger Sync asks to sign you out').isVisible()).resolves.toBe(true);
    await screenshot(page, 'logout-confirmation');

    await Promise.all([
      page.waitForURL((url) => url.href.startsWith(back)),
      page.getByRole('button', { name: 'Sign out' }).click(),
    ]);
    expect(new URL(page.url()).searchParams.get('state')).toBe('st 42');
    await expect(page.getByRole('heading', { name: 'Bye' }).isVisible()).resolves.toBe(true);

    // Signed out: the console asks to sign in again.
    await page.goto(`${lk.issuer}/settings/api`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await context.close();
  });
});
