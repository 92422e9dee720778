import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Latchkey, type TestClient, testClock } from '../helpers/latchkey.ts';
import { consentForm } from '../helpers/oauth-flow.ts';
import { oidcClient, rpAuthorization, rpConfig, upstreamBrowser } from '../helpers/oidc-rp.ts';
import { type PlatformIdp, startLatchkeyWithPlatformIdp } from '../helpers/platform-idp.ts';

/**
 * "Sign in with the platform" when people sign in to Latchkey through the platform's own OpenID
 * provider (node-oidc-provider): the relying party (openid-client) learns the Latchkey person, and
 * `auth_time` is when they signed in through that provider, not when the app asked.
 */
describe('OpenID Connect with sign-in through the platform’s provider', () => {
  const redirectUri = 'http://127.0.0.1:9999/callback';
  const signInAt = Date.now() - 3_600_000;
  const clock = testClock(signInAt);
  let lk: Latchkey;
  let idp: PlatformIdp;
  let client: TestClient;
  let config: oidc.Configuration;

  beforeAll(async () => {
    ({ lk, idp } = await startLatchkeyWithPlatformIdp({ clock }));
    idp.accounts.set('ada', {
      email: 'ada@nordwind.example',
      email_verified: true,
      name: 'Ada Lovelace',
      orgs: [{ id: 'org-nordwind', name: 'Nordwind Handels GmbH', role: 'member' }],
    });
    client = await oidcClient(lk, redirectUri);
    config = await rpConfig(lk, client);
    oidc.enableNonRepudiationChecks(config);
  });
  afterAll(async () => {
    await idp?.close();
    await lk?.close();
  });

  it('names the person and their organization, signed in when the provider signed them in', async () => {
    const go = upstreamBrowser(lk, idp.issuer, 'ada');
    // Signed in through the provider an hour ago (Latchkey's clock), on the way to the console.
    const console = await go(`${lk.issuer}/settings/connected-apps`);
    expect(console.status).toBe(200);
    clock.set(Date.now());

    const { url, verifier, nonce, state } = await rpAuthorization(
      config,
      redirectUri,
      'openid profile email',
    );
    const consent = await go(url.href);
    expect(consent.status).toBe(200);
    const html = await consent.text();
    expect(html).toContain('Learn who you are: your name and email address');
    const user = (await lk.services.store.accounts.findUserByEmail('ada@nordwind.example'))!;
    const [membership] = await lk.services.store.accounts.memberships(user.id);
    const back = await go(`${lk.issuer}/consent`, consentForm(html, membership!.orgId));
    const tokens = await oidc.authorizationCodeGrant(config, new URL(back.headers.get('location')!), {
      pkceCodeVerifier: verifier,
      expectedNonce: nonce,
      expectedState: state,
    });
    expect(tokens.claims()).toMatchObject({
      sub: user.id,
      org_id: membership!.orgId,
      name: 'Ada Lovelace',
      email: 'ada@nordwind.example',
      auth_time: Math.floor(signInAt / 1000),
    });
    expect(await oidc.fetchUserInfo(config, tokens.access_token, user.id)).toMatchObject({
      sub: user.id,
      name: 'Ada Lovelace',
    });
  });
});
