import { createHash, randomBytes } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateInDialog, launchBrowser, screenshot, startReturnApp } from '../helpers/browser.ts';
import { type Latchkey, startLatchkey } from '../helpers/latchkey.ts';

/**
 * Chromium under an issuer at /auth: sign in, generate credentials in the console, then connect an
 * app with them through consent. Every request the browser makes must stay under /auth (apart from
 * the app's own callback), and every cookie must have Path=/auth.
 */
describe('the console and consent under /auth in Chromium', { timeout: 60_000 }, () => {
  let lk: Latchkey;
  let browser: Browser;
  let app: Awaited<ReturnType<typeof startReturnApp>>;
  let callbackBase: string;

  beforeAll(async () => {
    lk = await startLatchkey({ issuerPath: '/auth' });
    // The integrator's callback: only shows that the browser arrived.
    app = await startReturnApp('<h1>Back</h1>');
    callbackBase = app.base;
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await lk?.close();
  });

  it('signs in, generates credentials, consents; every request stays under /auth', async () => {
    const person = await lk.createUser({ role: 'admin' });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));

    await page.goto(`${lk.issuer}/settings/api`);
    await page.waitForURL(`${lk.issuer}/login?next=%2Fauth%2Fsettings%2Fapi`);
    await page.getByLabel('Email address').fill(person.email);
    await page.getByLabel('Password').fill(person.password);
    await Promise.all([
      page.waitForURL(`${lk.issuer}/settings/api`),
      page.getByRole('button', { name: 'Sign in' }).click(),
    ]);
    // The script ran (it opens the dialog): the console's assets loaded from under /auth.
    const { clientId, clientSecret, secretDialog } = await generateInDialog(page, lk.issuer, {
      name: 'Path Prefix App',
      redirectUri: `${callbackBase}/callback`,
    });
    await secretDialog.getByLabel('I have securely stored the Client Secret').check();
    await Promise.all([
      page.waitForURL(/\/auth\/settings\/api\/lkc_.*notice=created/),
      secretDialog.getByRole('button', { name: 'Done' }).click(),
    ]);
    await screenshot(page, 'path-prefix-console');

    // The app sends the browser to the authorization endpoint; consent is under /auth too.
    const verifier = randomBytes(32).toString('base64url');
    const authorize = new URL(`${lk.issuer}/oauth/authorize`);
    authorize.search = new URLSearchParams({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: `${callbackBase}/callback`,
      state: 'st-1',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    await page.goto(authorize.href);
    await page.waitForURL(/\/auth\/consent\?request=/);
    await expect
      .poll(() => page.getByRole('heading', { level: 1 }).textContent())
      .toContain('Path Prefix App');
    await screenshot(page, 'path-prefix-consent');
    await Promise.all([
      page.waitForURL(`${callbackBase}/callback?**`),
      page.getByRole('button', { name: 'Allow access' }).click(),
    ]);
    const callback = new URL(page.url());
    expect(callback.searchParams.get('iss')).toBe(lk.issuer);
    const token = await fetch(`${lk.issuer}/oauth/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: callback.searchParams.get('code')!,
        redirect_uri: `${callbackBase}/callback`,
        code_verifier: verifier,
      }),
    });
    expect(token.status).toBe(200);

    const outside = requested.filter(
      (url) => !url.startsWith(`${lk.issuer}/`) && !url.startsWith(`${callbackBase}/callback?`),
    );
    expect(outside).toEqual([]);
    // Pages, the stylesheet and scripts of the layout and the console were all requested.
    const paths = new Set(requested.map((url) => new URL(url).pathname));
    for (const expected of ['/auth/login', '/auth/settings/api', '/auth/consent', '/auth/oauth/authorize']) {
      expect(paths).toContain(expected);
    }
    expect([...paths].filter((p) => p.startsWith('/auth/assets/')).length).toBeGreaterThanOrEqual(4);
    const cookies = await context.cookies();
    expect(cookies.map((c) => c.name).sort()).toEqual(['latchkey_session']);
    expect(cookies.map((c) => c.path)).toEqual(['/auth']);
    await context.close();
  });
});
