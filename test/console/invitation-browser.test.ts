import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateInDialog, launchBrowser, screenshot } from '../helpers/browser.ts';
import { type Latchkey, requestToken, startLatchkey } from '../helpers/latchkey.ts';

/**
 * In Chromium, under an issuer at /auth: an admin invites a developer who has no account; the
 * developer opens the link, chooses a name and password, lands signed in in the organization and
 * generates API credentials, seeing the secret once.
 */
describe('an invitation for someone without an account, in Chromium under /auth', { timeout: 90_000 }, () => {
  let lk: Latchkey;
  let browser: Browser;

  beforeAll(async () => {
    lk = await startLatchkey({ issuerPath: '/auth' });
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await lk?.close();
  });

  it('Invite → link → name and password → signed in as a developer → generates credentials', async () => {
    const admin = await lk.createUser({ email: 'lead@newteam.example', role: 'admin' });
    const adminContext = await browser.newContext();
    const adminPage = await adminContext.newPage();
    await adminPage.goto(`${lk.issuer}/settings/members`);
    await adminPage.getByLabel('Email address').fill(admin.email);
    await adminPage.getByLabel('Password').fill(admin.password);
    await Promise.all([
      adminPage.waitForURL(`${lk.issuer}/settings/members`),
      adminPage.getByRole('button', { name: 'Sign in' }).click(),
    ]);
    await adminPage.getByLabel('Email address').fill('dev@newteam.example');
    await adminPage.locator('#invite-role').selectOption('developer');
    await adminPage.getByRole('button', { name: 'Create invitation link' }).click();
    const link = await adminPage.getByLabel('Invitation link').inputValue();
    expect(link).toMatch(new RegExp(`^${lk.issuer}/invitations/[\\w-]{43}$`));
    await adminContext.close();

    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(link);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(
      'Join Test Organization',
    );
    const email = page.getByLabel('Email address');
    await expect(email.inputValue()).resolves.toBe('dev@newteam.example');
    await expect(email.isEditable()).resolves.toBe(false);
    await page.getByLabel('Your name').fill('Dana Developer');
    await page.getByLabel('Password', { exact: true }).fill('short');
    await page.getByLabel('Confirm password').fill('short');
    await page.getByRole('button', { name: 'Create account and join' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('Use at least 10 characters');
    await page.getByLabel('Password', { exact: true }).fill('dana’s own passphrase');
    await page.getByLabel('Confirm password').fill('dana’s own passphrase');
    await screenshot(page, 'invitation-new-account');
    await Promise.all([
      page.waitForURL(`${lk.issuer}/`),
      page.getByRole('button', { name: 'Create account and join' }).click(),
    ]);
    await expect(page.locator('main').textContent()).resolves.toContain(
      'Signed in as dev@newteam.example in Test Organization',
    );

    // Settings → API: a developer generates credentials and sees the secret once.
    await page.getByRole('link', { name: 'API credentials' }).first().click();
    await page.waitForURL(`${lk.issuer}/settings/api`);
    const { clientId, clientSecret, secretDialog } = await generateInDialog(page, lk.issuer, {
      name: 'Dana’s Sync',
      redirectUri: 'https://sync.example/callback',
      clientCredentials: true,
    });
    await expect(secretDialog.getByText('It is shown only this once').isVisible()).resolves.toBe(true);
    await screenshot(page, 'invitation-developer-secret');
    await secretDialog.getByLabel('I have securely stored the Client Secret').check();
    await Promise.all([
      page.waitForURL(/\/auth\/settings\/api\/lkc_.*notice=created/),
      secretDialog.getByRole('button', { name: 'Done' }).click(),
    ]);
    await expect(page.locator('#lk-created-client-secret').count()).resolves.toBe(0);
    expect((await lk.services.store.clients.find(clientId))!.orgId).toBe(lk.orgId);
    expect((await requestToken(lk.issuer, { clientId, clientSecret }, { auth: 'basic' })).status).toBe(200);

    // The link worked once.
    await page.goto(link);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(
      'This invitation was used already',
    );
    expect((await context.cookies()).map((c) => c.path)).toEqual(['/auth']);
    await context.close();
  });
});
