import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Latchkey, type TestClient, testClock } from '../helpers/latchkey.ts';
import { consentForm, pkcePair } from '../helpers/oauth-flow.ts';
import { upstreamBrowser } from '../helpers/oidc-rp.ts';
import { type PlatformIdp, startLatchkeyWithPlatformIdp } from '../helpers/platform-idp.ts';

/**
 * prompt=login, max_age and login_hint when people sign in through the platform's provider
 * (node-oidc-provider): Latchkey asks the provider for them in turn, so prompt=login makes the
 * person sign in there again, and the Latchkey session (its sign-in time) is new afterwards.
 * Driven over plain HTTP: the provider's development pages are two simple forms.
 */
describe('prompt and max_age with the platform’s provider', () => {
  const clock = testClock(Date.now());
  const callback = 'http://127.0.0.1:9999/callback';
  let lk: Latchkey;
  let idp: PlatformIdp;
  let client: TestClient;

  beforeAll(async () => {
    ({ lk, idp } = await startLatchkeyWithPlatformIdp({ clock }));
    client = await lk.createClient({
      name: 'Ledger Sync',
      redirectUris: [callback],
      scopes: ['profile:read'],
    });
    idp.accounts.set('grace', {
      email: 'grace@example.com',
      email_verified: true,
      name: 'Grace Hopper',
      orgs: [{ id: 'navy', name: 'Navy', role: 'member' }],
    });
  });
  afterAll(async () => {
    await idp?.close();
    await lk?.close();
  });

  const authorizeUrl = (extra: Record<string, string> = {}) =>
    `${lk.issuer}/oauth/authorize?${new URLSearchParams({
      response_type: 'code',
      client_id: client.clientId,
      redirect_uri: callback,
      scope: 'profile:read',
      state: 'st',
      code_challenge: pkcePair().challenge,
      code_challenge_method: 'S256',
      ...extra,
    })}`;

  const code = (r: Response) => {
    // 303 after the consent form, 302 after a GET.
    expect([302, 303]).toContain(r.status);
    return new URL(r.headers.get('location')!).searchParams.get('code');
  };

  const sessionStart = async (): Promise<number> => {
    const user = await lk.services.store.accounts.findUserByEmail('grace@example.com');
    const rows = (await lk.services.store.rows('sessions')).filter((s) => s.user_id === user!.id);
    return Math.max(...rows.map((s) => Number(s.created_at)));
  };

  it('prompt=login signs in at the provider again; max_age and login_hint are passed on', async () => {
    const go = upstreamBrowser(lk, idp.issuer, 'grace');
    const { seen } = go;
    // First connection: sign-in at the provider, then Latchkey's consent page.
    const consent = await go(authorizeUrl({ login_hint: 'grace@example.com' }));
    expect(consent.status).toBe(200);
    expect(seen.providerSignIns).toBe(1);
    expect(seen.upstreamRequests[0]!.get('login_hint')).toBe('grace@example.com');
    expect(seen.upstreamRequests[0]!.get('prompt')).toBeNull();
    const html = await consent.text();
    const orgId = /name="org_id" id="[^"]+" value="([^"]+)"/.exec(html)![1]!;
    const approved = await go(`${lk.issuer}/consent`, consentForm(html, orgId));
    expect(code(approved)).toBeTruthy();
    const first = await sessionStart();

    // Consent is remembered and the session stands: a code, no sign-in anywhere.
    clock.advance(1000);
    expect(code(await go(authorizeUrl()))).toBeTruthy();
    expect(seen.providerSignIns).toBe(1);
    expect(seen.upstreamRequests).toHaveLength(1);

    // prompt=login: to the provider with prompt=login, whose sign-in form shows again.
    clock.advance(1000);
    expect(code(await go(authorizeUrl({ prompt: 'login' })))).toBeTruthy();
    expect(seen.providerSignIns).toBe(2);
    expect(seen.upstreamRequests[1]!.get('prompt')).toBe('login');
    const second = await sessionStart();
    expect(second).toBe(first + 2000);

    // max_age older than the session: to the provider with max_age (its own session is recent).
    clock.advance(120_000);
    expect(code(await go(authorizeUrl({ max_age: '60' })))).toBeTruthy();
    expect(seen.upstreamRequests[2]!.get('max_age')).toBe('60');
    expect(await sessionStart()).toBe(second + 120_000);
  });
});
