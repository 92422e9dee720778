import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot, signIn } from '../helpers/browser.ts';
import { tokenRequest } from '../helpers/console-session.ts';
import { type Latchkey, startLatchkey, testClock } from '../helpers/latchkey.ts';

/**
 * The walk-through of the Candis help article, in real Chromium: generate credentials with two
 * redirect URLs, store the secret (Done only once ticked), use it, rotate with and without overlap,
 * delete. Screenshots at desktop and phone width go to test-output/screenshots/.
 */
describe('Settings → API in Chromium', { timeout: 60_000 }, () => {
  const clock = testClock();
  let lk: Latchkey;
  let browser: Browser;
  let admin: { email: string; password: string };
  let member: { email: string; password: string };
  /** Every console response body the browser saw, to look for the secret afterwards. */
  const seen: { url: string; body: string }[] = [];

  beforeAll(async () => {
    lk = await startLatchkey({ clock, env: { LATCHKEY_SESSION_TTL: String(30 * 86_400) } });
    admin = await lk.createUser({ email: 'admin@de-gmbh.example', role: 'admin' });
    member = await lk.createUser({ email: 'member@de-gmbh.example', role: 'member' });
    await lk.createUser({ email: 'second-admin@de-gmbh.example', role: 'admin' });
    const second = await lk.createOrganization('AT GmbH');
    const adminUser = (await lk.services.store.accounts.findUserByEmail(admin.email))!;
    await lk.services.store.accounts.addMembership(second, adminUser.id, 'admin');
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await lk?.close();
  });

  async function open(
    width: number,
    height: number,
    who = admin,
  ): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1 });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: lk.issuer });
    const page = await context.newPage();
    page.on('response', async (response) => {
      if (!new URL(response.url()).pathname.startsWith('/settings/api')) return;
      if (response.status() >= 300 && response.status() < 400) return;
      try {
        seen.push({ url: response.url(), body: await response.text() });
      } catch {
        // A body the browser dropped after navigating on.
      }
    });
    await signIn(page, lk.issuer, who.email, who.password, '/settings/api');
    // The admin's session starts in "AT GmbH" (first by name): the walk-through is in the test organization.
    if (who === admin) await useTestOrganization(page);
    return { context, page };
  }

  /** Switches the header's organization picker to the test organization. */
  async function useTestOrganization(page: Page): Promise<void> {
    await page.locator('#org-picker-select').selectOption({ label: 'Test Organization' });
    // The page is at /settings/api already, where waitForURL would resolve at once: wait for the
    // page the switch loads instead.
    await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Switch' }).click()]);
  }

  let clientId = '';
  let firstSecret = '';
  let secondSecret = '';

  it('generates credentials with two redirect URLs and shows the secret once', async () => {
    const { context, page } = await open(1280, 800);
    await expect(page.getByRole('heading', { name: 'API credentials', level: 1 }).isVisible()).resolves.toBe(
      true,
    );
    await screenshot(page, 'console-desktop-empty');

    await page.getByRole('link', { name: 'Generate new credentials' }).first().click();
    const dialog = page.locator('#lk-generate-dialog');
    await dialog.waitFor({ state: 'visible' });
    await dialog.getByLabel('Name').fill('Microsoft Business Central');
    await dialog.getByLabel('Redirect URL 1', { exact: true }).fill('http://bc.example.com/oauth/callback');
    // Validated as you type, with the fix in words.
    await expect(dialog.getByText('Use https; http is allowed only for localhost').isVisible()).resolves.toBe(
      true,
    );
    await dialog.getByRole('button', { name: '+ Add another redirect URL' }).click();
    await dialog
      .getByLabel('Redirect URL 2', { exact: true })
      .fill('https://bc.example.com/oauth/callback#x');
    await expect(dialog.getByText('Remove the fragment').isVisible()).resolves.toBe(true);
    await dialog.getByLabel('Client credentials').check();
    await screenshot(page, 'console-desktop-generate-dialog-errors');

    // Submitting with errors stays in the dialog.
    await dialog.getByRole('button', { name: 'Generate credentials' }).click();
    await expect(dialog.isVisible()).resolves.toBe(true);

    await dialog.getByLabel('Redirect URL 1', { exact: true }).fill('https://bc.example.com/oauth/callback');
    await dialog.getByLabel('Redirect URL 2', { exact: true }).fill('http://localhost:3000/callback');
    await dialog.getByRole('button', { name: '+ Add another redirect URL' }).click();
    await dialog.getByLabel('Redirect URL 3', { exact: true }).fill('https://bc.example.com/oauth/callback');
    await expect(dialog.getByText('This URL is already listed above').isVisible()).resolves.toBe(true);
    await dialog.getByRole('button', { name: 'Remove redirect URL 3' }).click();
    await expect(dialog.getByLabel('Redirect URL 3', { exact: true }).count()).resolves.toBe(0);
    await screenshot(page, 'console-desktop-generate-dialog');

    await Promise.all([
      page.waitForURL(`${lk.issuer}/settings/api`),
      dialog.getByRole('button', { name: 'Generate credentials' }).click(),
    ]);
    const secretDialog = page.locator('dialog[data-secret-dialog]');
    await secretDialog.waitFor({ state: 'visible' });
    clientId = (await page.locator('#lk-created-client-id').textContent())!.trim();
    firstSecret = (await page.locator('#lk-created-client-secret').textContent())!.trim();
    expect(clientId).toMatch(/^lkc_/);
    expect(firstSecret).toMatch(/^lk_test_/);
    await expect(secretDialog.getByText('It is shown only this once').isVisible()).resolves.toBe(true);

    // Copy puts the exact secret on the clipboard.
    await secretDialog.getByRole('button', { name: 'Copy Client Secret' }).click();
    await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toBe(firstSecret);
    await expect(
      secretDialog.getByRole('button', { name: 'Copied Client Secret' }).isVisible(),
    ).resolves.toBe(true);

    const done = secretDialog.getByRole('button', { name: 'Done' });
    await expect(done.isDisabled()).resolves.toBe(true);
    await screenshot(page, 'console-desktop-secret-dialog');

    // Escape does not close it without asking again.
    await page.keyboard.press('Escape');
    await expect(secretDialog.getByText('Close without confirming?').isVisible()).resolves.toBe(true);
    await secretDialog.getByRole('button', { name: 'Keep it open' }).click();
    await expect(secretDialog.isVisible()).resolves.toBe(true);

    await secretDialog.getByLabel('I have securely stored the Client Secret').check();
    await expect(done.isDisabled()).resolves.toBe(false);
    await Promise.all([page.waitForURL(/\/settings\/api\/lkc_.*notice=created/), done.click()]);
    await expect(page.getByText('The credentials are ready.').isVisible()).resolves.toBe(true);
    await expect(page.locator('#lk-created-client-secret').count()).resolves.toBe(0);

    const client = (await lk.services.store.clients.find(clientId))!;
    expect(client.redirectUris).toEqual([
      'https://bc.example.com/oauth/callback',
      'http://localhost:3000/callback',
    ]);
    expect(client.orgId).toBe(lk.orgId);
    await context.close();
  });

  it('shows the secret as used, then rotates with a 1 hour overlap and immediately', async () => {
    expect((await tokenRequest(lk, clientId, firstSecret)).status).toBe(200);
    clock.advance(2 * 60_000);

    const { context, page } = await open(1280, 800);
    await page.goto(`${lk.issuer}/settings/api`);
    const row = page.locator(`tr[data-credential="${clientId}"]`);
    await expect(row.locator('[data-last-used]').textContent()).resolves.toBe('Used 2 minutes ago');
    await expect(row.locator('td[data-label="Status"] .badge').textContent()).resolves.toBe('Active');
    await screenshot(page, 'console-desktop-list');

    await row.getByRole('link', { name: 'Microsoft Business Central' }).click();
    await page.waitForURL(`${lk.issuer}/settings/api/${clientId}`);
    await expect(page.locator('[data-stat="tokens"] .lk-stat-value').textContent()).resolves.toBe('1');
    await screenshot(page, 'console-desktop-detail');

    await page.getByLabel('Keeps working for 1 hour').check();
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    const secretDialog = page.locator('dialog[data-secret-dialog]');
    await secretDialog.waitFor({ state: 'visible' });
    secondSecret = (await page.locator('#lk-created-client-secret').textContent())!.trim();
    expect(secondSecret).not.toBe(firstSecret);
    await expect(secretDialog.getByText('The previous secret keeps working until').isVisible()).resolves.toBe(
      true,
    );
    await screenshot(page, 'console-desktop-rotate-dialog');
    await expect(secretDialog.getByRole('button', { name: 'Done' }).isDisabled()).resolves.toBe(true);
    await secretDialog.getByLabel('I have securely stored the Client Secret').check();
    await Promise.all([
      page.waitForURL(/notice=rotated/),
      secretDialog.getByRole('button', { name: 'Done' }).click(),
    ]);

    // Both work during the overlap.
    expect((await tokenRequest(lk, clientId, firstSecret)).status).toBe(200);
    expect((await tokenRequest(lk, clientId, secondSecret)).status).toBe(200);
    await page.reload();
    await expect(page.locator('h1 .badge').textContent()).resolves.toMatch(/^Rotating/);
    await screenshot(page, 'console-desktop-detail-rotating');

    await page.getByLabel('Stops immediately').check();
    await expect(
      page.getByText('The current secret stops working the moment you rotate').isVisible(),
    ).resolves.toBe(true);
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await secretDialog.waitFor({ state: 'visible' });
    const thirdSecret = (await page.locator('#lk-created-client-secret').textContent())!.trim();
    await secretDialog.getByLabel('I have securely stored the Client Secret').check();
    await Promise.all([
      page.waitForURL(/notice=rotated/),
      secretDialog.getByRole('button', { name: 'Done' }).click(),
    ]);

    const old = await tokenRequest(lk, clientId, secondSecret);
    expect(old.status).toBe(401);
    expect(old.body.error).toBe('invalid_client');
    expect((await tokenRequest(lk, clientId, firstSecret)).status).toBe(401);
    expect((await tokenRequest(lk, clientId, thirdSecret)).status).toBe(200);

    await page.reload();
    const trail = await page.locator('.lk-audit').textContent();
    expect(trail).toContain('Rotated the secret; the previous secret stopped working at once');
    expect(trail).toContain('Created “Microsoft Business Central” with 2 redirect URLs');
    await context.close();
  });

  it('looks right at phone width', async () => {
    const { context, page } = await open(390, 844);
    await page.goto(`${lk.issuer}/settings/api`);
    await screenshot(page, 'console-phone-list');
    await page.getByRole('link', { name: 'Generate new credentials' }).first().click();
    const dialog = page.locator('#lk-generate-dialog');
    await dialog.waitFor({ state: 'visible' });
    await dialog.getByLabel('Name').fill('Make – Production');
    await dialog.getByLabel('Redirect URL 1', { exact: true }).fill('http://make.example.com/cb');
    await dialog.getByLabel('Name').click();
    await screenshot(page, 'console-phone-generate-dialog');
    await dialog.getByLabel('Redirect URL 1', { exact: true }).fill('https://hook.make.example.com/oauth/cb');
    await Promise.all([
      page.waitForURL(`${lk.issuer}/settings/api`),
      dialog.getByRole('button', { name: 'Generate credentials' }).click(),
    ]);
    await page.locator('dialog[data-secret-dialog]').waitFor({ state: 'visible' });
    await screenshot(page, 'console-phone-secret-dialog');
    const id = (await page.locator('#lk-created-client-id').textContent())!.trim();
    await page.getByLabel('I have securely stored the Client Secret').check();
    await Promise.all([
      page.waitForURL(/notice=created/),
      page.getByRole('button', { name: 'Done' }).click(),
    ]);
    await screenshot(page, 'console-phone-detail');
    // No horizontal scrolling at 390 px.
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    expect(id).toMatch(/^lkc_/);
    await context.close();
  });

  it('deletes after the name is typed; the token endpoint answers invalid_client at once', async () => {
    const { context, page } = await open(1280, 800);
    await page.goto(`${lk.issuer}/settings/api/${clientId}`);
    const button = page.getByRole('button', { name: 'Delete credentials' });
    await expect(button.isDisabled()).resolves.toBe(true);
    await page.getByLabel('Type Microsoft Business Central to confirm').fill('Microsoft');
    await expect(button.isDisabled()).resolves.toBe(true);
    await page.getByLabel('Type Microsoft Business Central to confirm').fill('Microsoft Business Central');
    await expect(button.isDisabled()).resolves.toBe(false);
    await Promise.all([page.waitForURL(/notice=deleted/), button.click()]);
    await expect(page.getByText('The credentials were deleted').isVisible()).resolves.toBe(true);
    await expect(page.locator(`tr[data-credential="${clientId}"]`).count()).resolves.toBe(0);
    await screenshot(page, 'console-desktop-after-delete');

    const after = await tokenRequest(lk, clientId, secondSecret);
    expect(after.status).toBe(401);
    expect(after.body.error).toBe('invalid_client');
    await context.close();
  });

  it('refuses a member and names the admins', async () => {
    const { context, page } = await open(1280, 800, member);
    await expect(
      page.getByRole('heading', { name: 'API credentials are managed by administrators' }).isVisible(),
    ).resolves.toBe(true);
    await expect(
      page.getByRole('link', { name: 'admin@de-gmbh.example', exact: true }).isVisible(),
    ).resolves.toBe(true);
    await expect(page.getByRole('link', { name: 'second-admin@de-gmbh.example' }).isVisible()).resolves.toBe(
      true,
    );
    await expect(page.getByRole('link', { name: 'Generate new credentials' }).count()).resolves.toBe(0);
    await screenshot(page, 'console-desktop-member-refused');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'console-phone-member-refused');
    await context.close();
  });

  it('works with JavaScript off: generate page, rows, one-time secret page, Done checked by the browser and the server', async () => {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      javaScriptEnabled: false,
    });
    const page = await context.newPage();
    await signIn(page, lk.issuer, admin.email, admin.password, '/settings/api');
    await page.locator('#org-picker-select').selectOption({ label: 'Test Organization' });
    // The page is at /settings/api already, where waitForURL would resolve at once: wait for the
    // page the switch loads instead.
    await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Switch' }).click()]);

    await Promise.all([
      page.waitForURL(/\/settings\/api\/new$/),
      page.getByRole('link', { name: 'Generate new credentials' }).click(),
    ]);
    await page.getByLabel('Name').fill('Sage100');
    await page.getByLabel('Client credentials').check();
    await page.getByLabel('Redirect URL 1', { exact: true }).fill('https://sage.example.com/callback');
    // "Add another" is a submit button: the server shows the form again with one more row.
    await Promise.all([
      page.waitForEvent('load'),
      page.getByRole('button', { name: '+ Add another redirect URL' }).click(),
    ]);
    await page.getByLabel('Redirect URL 2', { exact: true }).fill('http://sage.example.com/callback');
    await Promise.all([
      page.waitForEvent('load'),
      page.getByRole('button', { name: 'Generate credentials' }).click(),
    ]);
    await expect(page.getByText('Redirect URL 2: Use https').isVisible()).resolves.toBe(true);
    await screenshot(page, 'console-nojs-generate-errors');
    await page
      .getByLabel('Redirect URL 2', { exact: true })
      .fill('https://staging.sage.example.com/callback');
    await Promise.all([
      page.waitForEvent('load'),
      page.getByRole('button', { name: 'Generate credentials' }).click(),
    ]);

    const secret = (await page.locator('#lk-created-client-secret').textContent())!.trim();
    const id = (await page.locator('#lk-created-client-id').textContent())!.trim();
    expect(secret).toMatch(/^lk_test_/);
    await expect(page.getByRole('button', { name: 'Done' }).isDisabled()).resolves.toBe(false);
    await screenshot(page, 'console-nojs-secret');
    // Unticked, the browser itself refuses to submit (required) ...
    await page.getByRole('button', { name: 'Done' }).click();
    expect(new URL(page.url()).pathname).toBe('/settings/api');
    // ... and ticked, Done leads to the credentials.
    await page.getByLabel('I have securely stored the Client Secret').check();
    await Promise.all([
      page.waitForURL(/notice=created/),
      page.getByRole('button', { name: 'Done' }).click(),
    ]);
    await expect(page.locator('#lk-created-client-secret').count()).resolves.toBe(0);
    expect((await tokenRequest(lk, id, secret)).status).toBe(200);
    await context.close();
  });

  it('never sent the first secret in any page but the one that showed it', () => {
    const holders = seen.filter((r) => r.body.includes(firstSecret));
    expect(holders).toHaveLength(1);
    expect(holders[0]!.url).toBe(`${lk.issuer}/settings/api`);
  });
});
