import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInActor } from '../../src/accounts/platform-login.ts';
import {
  type Connection,
  callbackUri,
  redeem,
  revokedAudit,
  revokedWebhooks,
  state,
} from '../helpers/connections.ts';
import { type Latchkey, type TestClient, testClock } from '../helpers/latchkey.ts';
import { consentForm, pkcePair } from '../helpers/oauth-flow.ts';
import { upstreamBrowser } from '../helpers/oidc-rp.ts';
import { type PlatformIdp, startLatchkeyWithPlatformIdp } from '../helpers/platform-idp.ts';
import { secret, startReceiver } from '../helpers/webhook-receiver.ts';

/**
 * The platform's organizations claim ends a membership at the next sign-in: the apps the person
 * connected in that organization end with it (refresh fails, introspection says inactive, audit
 * event and grant.revoked webhook), while those in organizations still claimed keep working.
 * Driven over plain HTTP: the provider's development pages are two simple forms.
 */
describe('a membership the upstream claim drops ends the connected apps', () => {
  const clock = testClock(Date.now());
  let lk: Latchkey;
  let idp: PlatformIdp;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let client: TestClient;

  beforeAll(async () => {
    receiver = await startReceiver();
    ({ lk, idp } = await startLatchkeyWithPlatformIdp({
      clock,
      env: { LATCHKEY_WEBHOOK_URL: receiver.url, LATCHKEY_WEBHOOK_SECRET: secret },
    }));
    await lk.server.app.webhooks!.stop();
    client = await lk.createClient({ name: 'Ledger Sync', redirectUris: [callbackUri] });
  });
  afterAll(async () => {
    await idp?.close();
    await lk?.close();
    await receiver?.close();
  });

  /** Authorize → sign in at the provider → consent for `orgId` → code → tokens. */
  async function connect(login: string, orgId: string): Promise<Connection> {
    const go = upstreamBrowser(lk, idp.issuer, login);
    const pkce = pkcePair();
    const consent = await go(
      `${lk.issuer}/oauth/authorize?${new URLSearchParams({
        response_type: 'code',
        client_id: client.clientId,
        redirect_uri: callbackUri,
        scope: 'profile:read',
        state: 'st',
        prompt: 'consent',
        code_challenge: pkce.challenge,
        code_challenge_method: 'S256',
      })}`,
    );
    expect(consent.status).toBe(200);
    const html = await consent.text();
    const back = await go(`${lk.issuer}/consent`, consentForm(html, orgId));
    const code = new URL(back.headers.get('location')!).searchParams.get('code');
    expect(code).toBeTruthy();
    const connection = await redeem(lk, client, code!, pkce.verifier);
    expect(connection.orgId).toBe(orgId);
    return connection;
  }

  const orgByExternalId = async (externalId: string) =>
    (await lk.services.store.accounts.listOrganizations({ limit: 1 }, { externalId })).items[0]!.id;

  it('revokes the grants of the dropped organization at the sign-in that drops it, and only those', async () => {
    idp.accounts.set('ada', {
      email: 'ada@nordwind.example',
      email_verified: true,
      name: 'Ada Lovelace',
      orgs: [
        { id: 'org-nordwind', name: 'Nordwind Handels GmbH', role: 'member' },
        { id: 'org-sued', name: 'Süd AG', role: 'member' },
      ],
    });
    // The first sign-in makes the person and both organizations.
    expect((await upstreamBrowser(lk, idp.issuer, 'ada')(`${lk.issuer}/login`)).status).toBe(200);
    const nordwind = await orgByExternalId('org-nordwind');
    const sued = await orgByExternalId('org-sued');
    const dropped = await connect('ada', nordwind);
    const kept = await connect('ada', sued);
    for (const c of [dropped, kept])
      expect(await state(lk, client, c)).toEqual({ active: true, refresh: 'ok' });

    idp.accounts.set('ada', {
      ...idp.accounts.get('ada'),
      orgs: [{ id: 'org-sued', name: 'Süd AG', role: 'member' }],
    });
    expect((await upstreamBrowser(lk, idp.issuer, 'ada')(`${lk.issuer}/login`)).status).toBe(200);

    expect(await state(lk, client, dropped)).toEqual({ active: false, refresh: 'invalid_grant' });
    expect(await state(lk, client, kept)).toEqual({ active: true, refresh: 'ok' });
    expect(await revokedAudit(lk, nordwind)).toEqual([
      { grantId: dropped.grantId, actor: signInActor, reason: 'no longer in the orgs claim' },
    ]);
    expect(await revokedAudit(lk, sued)).toEqual([]);
    expect(await revokedWebhooks(lk, receiver)).toEqual([dropped.grantId]);
  });
});
