import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot, signIn, startReturnApp } from '../helpers/browser.ts';
import { type Latchkey, startLatchkey } from '../helpers/latchkey.ts';
import { codeRequestParams } from '../helpers/oauth-flow.ts';
import { createOwnerlessClient } from '../helpers/ownerless-clients.ts';

/**
 * The consent page for software that registered itself, in Chromium on a desktop and a phone
 * (390×844): the name as it calls itself, "not verified", the host the code goes to, and the warning
 * when that is the person's own machine, all visible without sideways scrolling.
 */
describe('consent for software of no organization, in Chromium', { timeout: 120_000 }, () => {
  let lk: Latchkey;
  let browser: Browser;
  let app: Awaited<ReturnType<typeof startReturnApp>>;
  let person: { email: string; password: string };

  beforeAll(async () => {
    lk = await startLatchkey();
    app = await startReturnApp('<!doctype html><title>Agent</title><h1>Back in the agent</h1>');
    person = await lk.createUser();
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await lk?.close();
  });

  const viewports = [
    ['desktop', { width: 1280, height: 800 }, false],
    ['phone', { width: 390, height: 844 }, true],
  ] as const;

  /** Signed in, at the consent page of a new client of no organization that returns to `redirectUri`. */
  async function consent(
    viewport: { width: number; height: number },
    isMobile: boolean,
    redirectUri: string,
  ) {
    const client = await createOwnerlessClient(lk, { name: 'Helpful Agent', redirectUris: [redirectUri] });
    const context = await browser.newContext({ viewport, isMobile, hasTouch: isMobile });
    const page = await context.newPage();
    await signIn(page, lk.issuer, person.email, person.password);
    await page.goto(
      `${lk.issuer}/oauth/authorize?${new URLSearchParams(codeRequestParams(client.clientId, redirectUri))}`,
    );
    await page.waitForURL(/\/consent\?/);
    return { page, context };
  }

  const visible = (page: Page, text: string | RegExp) =>
    expect(page.getByText(text).first().isVisible()).resolves.toBe(true);
  const fitsWidth = async (page: Page) => {
    const { scroll, width } = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      width: window.innerWidth,
    }));
    expect(scroll).toBeLessThanOrEqual(width);
  };

  it.each(viewports)(
    'on a %s: the wording, the host and the own-machine warning',
    async (name, viewport, isMobile) => {
      const redirectUri = `${app.base}/callback`;
      const host = new URL(app.base).host;
      const { page, context } = await consent(viewport, isMobile, redirectUri);
      await expect(page.getByRole('heading', { level: 1 }).innerText()).resolves.toMatch(
        /^Software that calls itself “Helpful Agent” wants to access your\s+account$/,
      );
      await visible(page, 'Not verified by this platform.');
      await visible(page, /no organization on this platform vouches for it/);
      await visible(page, 'If you allow it, the authorization is sent to');
      await expect(page.locator('[data-return-host] strong').innerText()).resolves.toBe(host);
      await expect(page.locator('[data-return-host] strong').isVisible()).resolves.toBe(true);
      const warning = page.getByRole('alert');
      await expect(warning.isVisible()).resolves.toBe(true);
      await expect(warning.innerText()).resolves.toContain(
        'This sends access to a program on your own computer or device.',
      );
      await fitsWidth(page);
      await screenshot(page, `ownerless-consent-${name}`);

      // Allowing it goes to that host, with a code.
      await page.getByRole('radio').first().check();
      await Promise.all([
        page.waitForURL((url) => url.host === host),
        page.getByRole('button', { name: 'Allow access' }).click(),
      ]);
      expect(new URL(page.url()).searchParams.get('code')).toBeTruthy();
      // Connected apps carries the same mark.
      await page.goto(`${lk.issuer}/settings/connected-apps`);
      const row = page.getByRole('row').filter({ hasText: 'Helpful Agent' }).first();
      await expect(row.locator('[data-unverified]').isVisible()).resolves.toBe(true);
      await fitsWidth(page);
      await screenshot(page, `ownerless-connected-apps-${name}`);
      await context.close();
    },
  );

  it.each(viewports)('on a %s: a public host, and no warning', async (name, viewport, isMobile) => {
    const { page, context } = await consent(viewport, isMobile, 'https://tools.agent.example/oauth/callback');
    await visible(page, 'Not verified by this platform.');
    await expect(page.locator('[data-return-host] strong').innerText()).resolves.toBe('tools.agent.example');
    await expect(page.getByRole('alert').count()).resolves.toBe(0);
    await fitsWidth(page);
    await screenshot(page, `ownerless-consent-public-host-${name}`);
    await context.close();
  });
});
