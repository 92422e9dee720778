import { createServer, type Server } from 'node:http';
import * as oidc from 'openid-client';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot } from '../helpers/browser.ts';
import { type Latchkey, startLatchkey } from '../helpers/latchkey.ts';

/**
 * A small integrator app written the way third-party software would: openid-client v6, confidential
 * client with client_secret_basic, PKCE S256, state. It sends the browser to Latchkey, receives the
 * code, gets tokens, calls /api/v1/me, refreshes, and shows the result as a page.
 */
interface Integrator {
  url: string;
  results: Record<string, unknown>[];
  close(): Promise<void>;
}

async function startIntegrator(
  lk: Latchkey,
  port: number,
  clientId: string,
  clientSecret: string,
): Promise<Integrator> {
  const config = await oidc.discovery(
    new URL(lk.issuer),
    clientId,
    clientSecret,
    oidc.ClientSecretBasic(clientSecret),
    {
      execute: [oidc.allowInsecureRequests],
      algorithm: 'oauth2',
    },
  );
  const redirectUri = `http://127.0.0.1:${port}/callback`;
  const pending = new Map<string, string>(); // state → PKCE verifier
  const results: Record<string, unknown>[] = [];

  const server: Server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url!, `http://127.0.0.1:${port}`);
      if (url.pathname === '/start') {
        const verifier = oidc.randomPKCECodeVerifier();
        const state = oidc.randomState();
        pending.set(state, verifier);
        const target = oidc.buildAuthorizationUrl(config, {
          redirect_uri: redirectUri,
          scope: url.searchParams.get('scope') ?? 'profile:read invoices:read',
          code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
          state,
        });
        res.writeHead(302, { location: target.href }).end();
        return;
      }
      if (url.pathname === '/callback') {
        const state = url.searchParams.get('state') ?? '';
        if (url.searchParams.has('error')) {
          results.push({ error: url.searchParams.get('error'), iss: url.searchParams.get('iss') });
          res
            .writeHead(200, { 'content-type': 'text/html' })
            .end(`<h1>Not connected: ${url.searchParams.get('error')}</h1>`);
          return;
        }
        const tokens = await oidc.authorizationCodeGrant(config, url, {
          pkceCodeVerifier: pending.get(state),
          expectedState: state,
        });
        const me = await (
          await oidc.fetchProtectedResource(
            config,
            tokens.access_token,
            new URL(`${lk.issuer}/api/v1/me`),
            'GET',
          )
        ).json();
        const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
        const result = {
          me,
          scope: tokens.scope,
          refreshed: Boolean(refreshed.access_token),
          rotated: refreshed.refresh_token !== tokens.refresh_token,
        };
        results.push(result);
        res
          .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
          .end(`<h1>Connected</h1><pre id="result">${JSON.stringify(result, null, 2)}</pre>`);
        return;
      }
      res.writeHead(404).end();
    } catch (error) {
      results.push({ failure: String(error) });
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
    }
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    results,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise((resolve) => s.close(resolve));
  return port;
}

describe('authorization code flow in Chromium with an openid-client integrator', () => {
  let lk: Latchkey;
  let browser: Browser;
  let app: Integrator;
  let person: { userId: string; email: string; password: string };
  let secondOrg: string;
  let clientId: string;

  beforeAll(async () => {
    lk = await startLatchkey();
    const port = await freePort();
    const client = await lk.createClient({
      name: 'Acme Bookkeeping',
      redirectUris: [`http://127.0.0.1:${port}/callback`],
      scopes: ['profile:read', 'invoices:read', 'payments:read'],
    });
    clientId = client.clientId;
    secondOrg = await lk.createOrganization('Nordwind Handels GmbH');
    person = await lk.createUser({ email: 'erika@example.com' });
    await lk.services.store.accounts.addMembership(secondOrg, person.userId, 'member');
    app = await startIntegrator(lk, port, client.clientId, client.clientSecret);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await lk?.close();
  });

  it('signs in, picks an organization, consents, and the integrator gets tokens, /me and a refresh', async () => {
    const context = await browser.newContext({ viewport: { width: 1024, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${app.url}/start`);
    await page.waitForURL(/\/login\?/);
    expect(await page.locator('.notice').textContent()).toBe(
      'Acme Bookkeeping asks to connect to your account. Sign in to continue.',
    );
    await screenshot(page, 'flow-1-sign-in');
    await page.getByLabel('Email address').fill(person.email);
    await page.getByLabel('Password').fill(person.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/consent\?/);
    await expect
      .poll(() => page.getByRole('heading', { level: 1 }).textContent())
      .toContain('Acme Bookkeeping');
    await page.getByLabel(/Nordwind Handels GmbH/).check();
    await screenshot(page, 'flow-2-consent');
    await page.getByRole('button', { name: 'Allow access' }).click();
    await page.waitForURL(`${app.url}/callback?**`);
    await page.waitForSelector('#result');
    await screenshot(page, 'flow-3-integrator');

    const result = app.results.at(-1)!;
    expect(result.failure).toBeUndefined();
    expect(result.me).toMatchObject({
      client_id: clientId,
      org_id: secondOrg,
      sub: person.userId,
      user_id: person.userId,
    });
    expect(result.scope).toBe('profile:read invoices:read');
    expect(result).toMatchObject({ refreshed: true, rotated: true });

    // Consent is remembered for that one organization: a second run skips the page.
    await page.goto(`${app.url}/start?scope=profile:read`);
    await page.waitForURL(`${app.url}/callback?**`);
    expect(app.results.at(-1)!.me).toMatchObject({ org_id: secondOrg });
    await context.close();
  });

  it('works at phone width, by keyboard, with JavaScript off; Deny returns access_denied', async () => {
    const context = await browser.newContext({
      viewport: { width: 360, height: 780 },
      javaScriptEnabled: false,
    });
    const page = await context.newPage();
    await page.goto(`${app.url}/start?scope=payments:read`);
    await page.waitForURL(/\/login\?/);
    await screenshot(page, 'phone-sign-in');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('email');
    await page.keyboard.type(person.email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(person.password);
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/consent\?/);
    await screenshot(page, 'phone-consent');
    // No horizontal scrolling at phone width.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    // Keyboard: tab to the Deny button and press it.
    const deny = page.getByRole('button', { name: 'Deny' });
    for (let i = 0; i < 40 && !(await deny.evaluate((el) => el === document.activeElement)); i++) {
      await page.keyboard.press('Tab');
    }
    await page.keyboard.press('Enter');
    await page.waitForURL(`${app.url}/callback?**`);
    expect(app.results.at(-1)).toEqual({ error: 'access_denied', iss: lk.issuer });
    await context.close();
  });

  it('a redirect URI that is not registered gets an error page, not a redirect', async () => {
    const context = await browser.newContext({ viewport: { width: 1024, height: 800 } });
    const page = await context.newPage();
    const bad = new URL(`${lk.issuer}/oauth/authorize`);
    bad.search = new URLSearchParams({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: `${app.url}/callback/`,
      state: 's',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    }).toString();
    const response = await page.goto(bad.toString());
    expect(response!.status()).toBe(400);
    expect(page.url()).toBe(bad.toString());
    await expect.poll(() => page.locator('body').textContent()).toContain('trailing slash');
    await screenshot(page, 'error-redirect-uri');
    await page.setViewportSize({ width: 360, height: 780 });
    await screenshot(page, 'error-redirect-uri-phone');
    await context.close();
  });

  it('the connected apps page lists the connection and revokes it', async () => {
    const context = await browser.newContext({ viewport: { width: 1024, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${lk.issuer}/login?next=/settings/connected-apps`);
    await page.getByLabel('Email address').fill(person.email);
    await page.getByLabel('Password').fill(person.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/connected-apps/);
    // Switch to the organization the app was connected to.
    await page.getByLabel('Organization').selectOption({ label: 'Nordwind Handels GmbH' });
    await page.getByRole('button', { name: 'Switch' }).click();
    await page.waitForURL(/connected-apps/);
    await expect.poll(() => page.locator('main').textContent()).toContain('Acme Bookkeeping');
    await screenshot(page, 'connected-apps');
    await page.getByRole('button', { name: /Revoke/ }).click();
    await page.waitForURL(/revoked=/);
    await screenshot(page, 'connected-apps-revoked');
    expect(await page.locator('main').textContent()).toContain('Access revoked for Acme Bookkeeping');
    await context.close();
  });
});
