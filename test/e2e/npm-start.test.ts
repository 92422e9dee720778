import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oauth from 'oauth4webapi';
import { afterAll, describe, expect, it } from 'vitest';
import { seededClient, serveBuilt } from '../helpers/dist.ts';
import { freePort } from '../helpers/latchkey.ts';
import { authorizationUrl } from '../helpers/oauth-clients.ts';
import { consentForm } from '../helpers/oauth-flow.ts';
import { submitLogin } from '../helpers/web.ts';

// What a newcomer does after `npm ci`: `npm start` (the compiled bin on a fresh development store),
// then a token, and an authorization code exchange as a strict client library does it. .ci/run runs
// this file alone on the other LTS lines (Node 22 and 26) after an `npm ci` there.
const dir = mkdtempSync(join(tmpdir(), 'latchkey-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const insecure = { [oauth.allowInsecureRequests]: true };

describe(`npm start on Node ${process.versions.node}`, () => {
  it('serves a client_credentials token and an authorization code exchange (oauth4webapi)', async () => {
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    const server = serveBuilt({
      PORT: String(port),
      LATCHKEY_ISSUER: issuer,
      LATCHKEY_DATABASE: join(dir, 'start.sqlite'),
      LATCHKEY_ENVIRONMENT: 'development',
    });
    try {
      const out = await server.waitFor(/latchkey listening/);
      const seeded = seededClient(out);
      const email = /email\s+(\S+)/.exec(out)![1]!;
      const password = /password\s+(\S+)/.exec(out)![1]!;
      const redirectUri = /redirect URL\s+(\S+)/.exec(out)![1]!;
      const as = await oauth.processDiscoveryResponse(
        new URL(issuer),
        await oauth.discoveryRequest(new URL(issuer), { algorithm: 'oauth2', ...insecure }),
      );
      const client: oauth.Client = { client_id: seeded.clientId };
      const auth = oauth.ClientSecretBasic(seeded.clientSecret);

      const token = await oauth.processClientCredentialsResponse(
        as,
        client,
        await oauth.clientCredentialsGrantRequest(as, client, auth, {}, insecure),
      );
      expect(token.token_type).toBe('bearer');

      const {
        url: authorize,
        verifier,
        state,
      } = await authorizationUrl(as, client.client_id, redirectUri, 'invoices:read');
      const start = await fetch(authorize, { redirect: 'manual' });
      const next = new URL(start.headers.get('location')!, issuer).searchParams.get('next')!;
      const { jar } = await submitLogin(issuer, email, password, next);
      const html = await (await fetch(new URL(next, issuer), { headers: { cookie: jar.header() } })).text();
      const decided = await fetch(`${issuer}/consent`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header() },
        body: new URLSearchParams(consentForm(html, /name="org_id"[^>]*value="([^"]+)"/.exec(html)![1]!)),
      });
      const callback = new URL(decided.headers.get('location')!);
      const params = oauth.validateAuthResponse(as, client, callback, state);
      const tokens = await oauth.processAuthorizationCodeResponse(
        as,
        client,
        await oauth.authorizationCodeGrantRequest(as, client, auth, params, redirectUri, verifier, insecure),
      );
      const me = await fetch(`${issuer}/api/v1/me`, {
        headers: { authorization: `Bearer ${tokens.access_token}` },
      });
      expect(me.status).toBe(200);
      expect(tokens.refresh_token).toBeTruthy();
    } finally {
      server.child.kill('SIGTERM');
      await new Promise((r) => server.child.once('exit', r));
    }
  }, 60_000);
});
