import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { freePort } from './latchkey.ts';

/** Where screenshots go for a person to look at (gitignored). */
export const screenshotDir = join(process.cwd(), 'test-output', 'screenshots');

/** Debian's Chromium, headless; playwright cannot download a browser on this machine. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** Saves a full-page screenshot as test-output/screenshots/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(screenshotDir, { recursive: true });
  const path = join(screenshotDir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Opens /login, fills in the form and waits for the redirect that follows a successful sign-in. */
export async function signIn(
  page: Page,
  issuer: string,
  email: string,
  password: string,
  next?: string,
): Promise<void> {
  await page.goto(`${issuer}/login${next ? `?next=${encodeURIComponent(next)}` : ''}`);
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(password);
  await Promise.all([
    page.waitForURL((url) => !url.pathname.startsWith('/login')),
    page.getByRole('button', { name: 'Sign in' }).click(),
  ]);
}

/**
 * The integrator's app that the browser comes back to, on a loopback port (http is allowed there):
 * every path answers with `html`. `base` is its origin.
 */
export async function startReturnApp(html: string): Promise<{ base: string; close(): Promise<void> }> {
  const port = await freePort();
  const app = createServer((_request, response) =>
    response.writeHead(200, { 'content-type': 'text/html' }).end(html),
  );
  await new Promise<void>((resolve) => app.listen(port, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => app.close(() => resolve())),
  };
}

/**
 * On the console's credentials list: generates credentials named `name` with one redirect URL in
 * the dialog (client credentials too if asked), and returns what the secret dialog shows once.
 */
export async function generateInDialog(
  page: Page,
  issuer: string,
  options: { name: string; redirectUri: string; clientCredentials?: boolean },
): Promise<{ clientId: string; clientSecret: string; secretDialog: Locator }> {
  await page.getByRole('link', { name: 'Generate new credentials' }).first().click();
  const dialog = page.locator('#lk-generate-dialog');
  await dialog.waitFor({ state: 'visible' });
  await dialog.getByLabel('Name').fill(options.name);
  await dialog.getByLabel('Redirect URL 1', { exact: true }).fill(options.redirectUri);
  if (options.clientCredentials) await dialog.getByLabel('Client credentials').check();
  await Promise.all([
    page.waitForURL(`${issuer}/settings/api`),
    dialog.getByRole('button', { name: 'Generate credentials' }).click(),
  ]);
  const secretDialog = page.locator('dialog[data-secret-dialog]');
  await secretDialog.waitFor({ state: 'visible' });
  const clientId = (await page.locator('#lk-created-client-id').textContent())!.trim();
  const clientSecret = (await page.locator('#lk-created-client-secret').textContent())!.trim();
  return { clientId, clientSecret, secretDialog };
}
