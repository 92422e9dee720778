import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot } from '../helpers/browser.ts';
import { type Latchkey, startLatchkey } from '../helpers/latchkey.ts';
import { type SignInApp, startSignInApp } from '../helpers/sign-in-with-app.ts';

/**
 * "Sign in with the platform" in Chromium, with examples/sign-in-with.ts as the app: the consent page
 * says in one line that the app will learn who the person is, and the app then knows it.
 */
describe('consent to an OpenID Connect sign-in, in Chromium', { timeout: 90_000 }, () => {
  let lk: Latchkey;
  let app: SignInApp;
  let browser: Browser;
  let person: { userId: string; email: string; password: string };

  beforeAll(async () => {
    lk = await startLatchkey();
    app = await startSignInApp(lk);
    person = await lk.createUser({ email: 'erika@example.com' });
    await lk.services.store.accounts.setUserName(person.userId, 'Erika Mustermann');
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    app?.close();
    await lk?.close();
  });

  it('asks to let the app learn who you are: your name and email address', async () => {
    const context = await browser.newContext({ viewport: { width: 1024, height: 800 } });
    const page = await context.newPage();
    await page.goto(app.url);
    await page.getByRole('link', { name: 'Sign in with the platform' }).click();
    await page.waitForURL(/\/login\?/);
    await page.getByLabel('Email address').fill(person.email);
    await page.getByLabel('Password').fill(person.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/consent\?/);

    const abilities = page.getByRole('list', { name: 'It will be able to' }).getByRole('listitem');
    await expect(abilities.allInnerTexts()).resolves.toEqual([
      expect.stringMatching(/^Learn who you are: your name and email address\s*openid profile email$/),
    ]);
    await expect(page.getByText('Learn who you are: your name and email address').isVisible()).resolves.toBe(
      true,
    );
    await screenshot(page, 'oidc-consent');
    await page.getByRole('button', { name: 'Allow access' }).click();
    await page.waitForURL(`${app.url}/`);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(
      'Signed in as Erika Mustermann',
    );
    await expect(page.locator('#userinfo').textContent()).resolves.toContain(`"sub": "${person.userId}"`);
    await context.close();
  });
});
