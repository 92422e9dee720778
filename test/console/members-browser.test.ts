import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot, signIn } from '../helpers/browser.ts';
import { type Latchkey, startLatchkey } from '../helpers/latchkey.ts';

/** Settings → Members in Chromium: an admin invites, the person accepts, the admin changes the role. */
describe('Settings → Members in Chromium', { timeout: 60_000 }, () => {
  let lk: Latchkey;
  let browser: Browser;

  beforeAll(async () => {
    lk = await startLatchkey();
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await lk?.close();
  });

  it('invite → accept → role change', async () => {
    const admin = await lk.createUser({ email: 'lead@team.example', role: 'admin' });
    const joiner = await lk.createUser({
      email: 'joiner@team.example',
      orgId: await lk.createOrganization('Elsewhere'),
    });

    const adminPage = await (await browser.newContext()).newPage();
    await signIn(adminPage, lk.issuer, admin.email, admin.password);
    await adminPage.getByRole('link', { name: 'Members' }).click();
    await adminPage.waitForURL(/\/settings\/members$/);
    await adminPage.getByLabel('Email address').fill(joiner.email);
    await adminPage.locator('#invite-role').selectOption('developer');
    await adminPage.getByRole('button', { name: 'Create invitation link' }).click();
    const link = await adminPage.getByLabel('Invitation link').inputValue();
    expect(link).toMatch(new RegExp(`^${lk.issuer}/invitations/[\\w-]{43}$`));
    await screenshot(adminPage, 'members-invitation');

    const joinerPage = await (await browser.newContext()).newPage();
    await joinerPage.goto(link);
    await joinerPage.waitForURL(/\/login\?next=/);
    await joinerPage.getByLabel('Email address').fill(joiner.email);
    await joinerPage.getByLabel('Password').fill(joiner.password);
    await joinerPage.getByRole('button', { name: 'Sign in' }).click();
    await joinerPage.waitForURL(link);
    await joinerPage.getByRole('button', { name: 'Accept invitation' }).click();
    await joinerPage.waitForURL(`${lk.issuer}/`);
    await expect(joinerPage.locator('main').textContent()).resolves.toContain('Test Organization');

    await adminPage.goto(`${lk.issuer}/settings/members`);
    const row = adminPage.getByRole('row', { name: /joiner@team\.example/ });
    await expect(row.getByRole('cell').nth(1).textContent()).resolves.toBe('Developer');
    await row.getByLabel('Role of joiner@team.example').selectOption('admin');
    await row.getByRole('button', { name: 'Change role' }).click();
    await adminPage.waitForURL(/notice=role/);
    await expect(
      adminPage
        .getByRole('row', { name: /joiner@team\.example/ })
        .getByRole('cell')
        .nth(1)
        .textContent(),
    ).resolves.toBe('Admin');
    await screenshot(adminPage, 'members-role-changed');
  });
});
