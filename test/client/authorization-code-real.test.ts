import {
  authenticatedFetch,
  checkCallback,
  createAuthorizationRequest,
  exchangeCode,
  refreshTokenSource,
  type TokenResponse,
} from '@latchkey/client';
import { createVerifier } from '@latchkey/verify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Latchkey, startLatchkey, type TestClient } from '../helpers/latchkey.ts';
import { Person } from '../helpers/oauth-flow.ts';
import { hiddenField } from '../helpers/web.ts';

const redirectUri = 'http://127.0.0.1:9999/callback';
let lk: Latchkey;
let client: TestClient;
let person: Person;
let userId: string;

beforeAll(async () => {
  lk = await startLatchkey({ env: { LATCHKEY_TOKEN_RATE_LIMIT: '1000/minute' } });
  client = await lk.createClient({ redirectUris: [redirectUri], scopes: ['profile:read', 'invoices:read'] });
  const user = await lk.createUser();
  userId = user.userId;
  person = new Person(lk, user.email, user.password);
  await person.signIn();
});
afterAll(() => lk.close());

/** The person follows the SDK's authorize URL and approves; returns where Latchkey sends the browser. */
async function approve(authorizeUrl: string): Promise<string> {
  let response = await person.authorize(Object.fromEntries(new URL(authorizeUrl).searchParams));
  if (response.status === 200) {
    const html = await response.text();
    response = await person.post('/consent', {
      _csrf: hiddenField(html, '_csrf'),
      request: hiddenField(html, 'request'),
      decision: 'approve',
      org_id: lk.orgId,
    });
  }
  const location = response.headers.get('location');
  if (!location) throw new Error(`no redirect back: ${response.status}`);
  return location;
}

async function signInWithLatchkey(): Promise<TokenResponse> {
  const request = await createAuthorizationRequest({
    issuer: lk.issuer,
    clientId: client.clientId,
    redirectUri,
    scope: ['profile:read', 'invoices:read'],
  });
  const { code } = checkCallback(await approve(request.url), request);
  return exchangeCode({
    issuer: lk.issuer,
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    redirectUri,
    code,
    codeVerifier: request.codeVerifier,
  });
}

describe('authorization code flow with the SDK against a real Latchkey', () => {
  it('runs PKCE S256 + state + iss, exchanges the code, and calls the API as the person', async () => {
    const tokens = await signInWithLatchkey();
    expect(tokens).toMatchObject({ token_type: 'Bearer', scope: 'profile:read invoices:read' });
    expect(tokens.refresh_token).toEqual(expect.any(String));

    const source = refreshTokenSource({
      issuer: lk.issuer,
      clientId: client.clientId,
      clientSecret: client.clientSecret,
      refreshToken: tokens.refresh_token!,
      initialTokens: tokens,
      onRefreshToken: () => {},
    });
    const me = (await (await authenticatedFetch(source, { baseUrl: lk.issuer })('/api/v1/me')).json()) as {
      user_id: string;
      org_id: string;
    };
    expect(me).toMatchObject({ user_id: userId, org_id: lk.orgId });
    const claims = await createVerifier({ issuer: lk.issuer, audience: lk.issuer }).verify(
      await source.getToken(),
    );
    expect(claims).toMatchObject({ sub: userId, client_id: client.clientId, org_id: lk.orgId });
  });

  it('refuses a callback whose state or iss is not the request’s', async () => {
    const request = await createAuthorizationRequest({
      issuer: lk.issuer,
      clientId: client.clientId,
      redirectUri,
    });
    const location = await approve(request.url);
    expect(new URL(location).searchParams.get('iss')).toBe(lk.issuer);
    expect(() => checkCallback(location, { ...request, state: 'another' })).toThrow(/state/);
    expect(() => checkCallback(location, { ...request, issuer: 'https://evil.example' })).toThrow(/iss/);
  });

  it('stores every rotated refresh token and refreshes once for concurrent callers, keeping the grant alive', async () => {
    const tokens = await signInWithLatchkey();
    const stored: string[] = [];
    let now = Date.now();
    let refreshRequests = 0;
    const source = refreshTokenSource({
      issuer: lk.issuer,
      clientId: client.clientId,
      clientSecret: client.clientSecret,
      refreshToken: tokens.refresh_token!,
      initialTokens: tokens,
      clock: () => now,
      fetch: (input, init) => {
        if (String(init?.body ?? '').includes('grant_type=refresh_token')) refreshRequests++;
        return fetch(input, init);
      },
      onRefreshToken: async (refreshToken) => {
        stored.push(refreshToken);
      },
    });

    for (let round = 1; round <= 3; round++) {
      now += 3_600_000; // the access token is due: every caller below needs a refresh
      const results = await Promise.all(Array.from({ length: 10 }, () => source.getToken()));
      expect(new Set(results).size).toBe(1);
      expect(refreshRequests).toBe(round);
    }
    expect(stored).toHaveLength(3);
    expect(new Set([tokens.refresh_token, ...stored]).size).toBe(4);

    // The grant survived: the newest refresh token still works, and the API accepts the token.
    const response = await authenticatedFetch(source, { baseUrl: lk.issuer })('/api/v1/me');
    expect(response.status).toBe(200);

    // A rotated-out refresh token is reuse: Latchkey refuses it (and revokes the grant).
    const replay = refreshTokenSource({
      issuer: lk.issuer,
      clientId: client.clientId,
      clientSecret: client.clientSecret,
      refreshToken: stored[0]!,
      onRefreshToken: () => {},
    });
    await expect(replay.getToken()).rejects.toMatchObject({ code: 'invalid_grant' });
  });
});
