import { createVerifier } from '@latchkey/verify';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Latchkey, requestToken, startLatchkey, type TestClient } from '../helpers/latchkey.ts';
import { obtainCode, Person, tokenRequest } from '../helpers/oauth-flow.ts';
import { approve, oidcClient, peek, rpAuthorization, rpConfig } from '../helpers/oidc-rp.ts';

/**
 * What OpenID Connect must refuse or never do: a nonce is echoed only to its own request, an ID
 * token is never an access token (at /api/v1/me, /oauth/userinfo, latchkey/verify), userinfo wants
 * `openid` and a person, and no identity scope is granted unless asked for by name.
 */
const redirectUri = 'http://127.0.0.1:9999/callback';
let lk: Latchkey;
let client: TestClient;
let person: Person;
let config: oidc.Configuration;

beforeAll(async () => {
  lk = await startLatchkey({ env: { LATCHKEY_TOKEN_RATE_LIMIT: '1000/minute' } });
  client = await oidcClient(lk, redirectUri);
  const user = await lk.createUser();
  person = new Person(lk, user.email, user.password);
  await person.signIn();
  config = await rpConfig(lk, client);
});
afterAll(() => lk?.close());

/** Code for tokens with the flow helpers (no relying-party library in between). */
async function tokensFor(scope: string, extra: Record<string, string> = {}) {
  const { code, verifier } = await obtainCode(person, { client, redirectUri, scope, extra });
  const response = await tokenRequest(lk, client, {
    grant_type: 'authorization_code',
    code: code!,
    code_verifier: verifier,
    redirect_uri: redirectUri,
  });
  expect(response.status).toBe(200);
  return response.body as { access_token: string; id_token?: string; scope: string };
}

const userinfo = (token: string, scheme = 'Bearer') =>
  fetch(`${lk.issuer}/oauth/userinfo`, { headers: { authorization: `${scheme} ${token}` } });

describe('the nonce', () => {
  it('is echoed exactly, each to its own request, even when two sign-ins interleave', async () => {
    const first = await rpAuthorization(config, redirectUri, 'openid');
    const second = await rpAuthorization(config, redirectUri, 'openid');
    // Parked in one order, approved in the other.
    const backSecond = new URL(await approve(person, second.url, lk.orgId));
    const backFirst = new URL(await approve(person, first.url, lk.orgId));
    const exchange = (back: URL, flow: typeof first, expectedNonce: string) =>
      oidc.authorizationCodeGrant(config, back, {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce,
      });
    // A relying party that expects another nonce refuses the ID token (openid-client's own check)…
    const refused = await exchange(backFirst, first, second.nonce).catch((error) => error);
    expect(refused).toMatchObject({ code: 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' });
    // openid-client's error wraps oauth4webapi's, whose cause names the claim compared.
    expect(refused.cause.cause).toMatchObject({
      claim: 'nonce',
      expected: second.nonce,
      claims: { nonce: first.nonce },
    });
    // …and the server put exactly this request's nonce in it (the code is spent: read it from a new one).
    const again = await rpAuthorization(config, redirectUri, 'openid', first.nonce);
    const tokens = await exchange(new URL(await approve(person, again.url, lk.orgId)), again, first.nonce);
    expect(tokens.claims()!.nonce).toBe(first.nonce);
    const other = await exchange(backSecond, second, second.nonce);
    expect(other.claims()!.nonce).toBe(second.nonce);
  });

  it('is left out when the request had none, and refused when longer than any request value may be', async () => {
    const tokens = await tokensFor('openid');
    expect(peek(tokens.id_token!).claims).not.toHaveProperty('nonce');
    const { url } = await obtainCode(person, {
      client,
      redirectUri,
      scope: 'openid',
      extra: { nonce: 'n'.repeat(4097) },
    });
    expect(url.searchParams.get('error')).toBe('invalid_request');
    expect(url.searchParams.get('error_description')).toMatch(/"nonce" is longer than 4096/);
  });

  it('survives a pushed authorization request (RFC 9126)', async () => {
    const url = await oidc.buildAuthorizationUrlWithPAR(config, {
      redirect_uri: redirectUri,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge('v'.repeat(43)),
      code_challenge_method: 'S256',
      nonce: 'pushed-nonce',
      state: 'st',
    });
    const back = new URL(await approve(person, url, lk.orgId));
    const tokens = await oidc.authorizationCodeGrant(config, back, {
      pkceCodeVerifier: 'v'.repeat(43),
      expectedState: 'st',
      expectedNonce: 'pushed-nonce',
    });
    expect(tokens.claims()!.nonce).toBe('pushed-nonce');
  });
});

describe('identity scopes', () => {
  it('without openid there is no ID token; without a scope asked none of them is granted', async () => {
    const plain = await tokensFor('invoices:read');
    expect(plain.id_token).toBeUndefined();
    const unasked = await tokensFor(undefined as unknown as string);
    expect(unasked.scope).toBe('invoices:read');
    expect(unasked.id_token).toBeUndefined();
  });

  it('are never granted to client_credentials: no person stands behind such a token', async () => {
    const asked = await requestToken(lk.issuer, client, { body: { scope: 'openid' } });
    expect(asked.status).toBe(400);
    expect(await asked.json()).toMatchObject({ error: 'invalid_scope' });
    const token = (await (await requestToken(lk.issuer, client)).json()) as Record<string, string>;
    expect(token.scope).toBe('invoices:read');
    expect(token).not.toHaveProperty('id_token');
    expect((await userinfo(token.access_token!)).status).toBe(403);
  });
});

describe('an ID token is not an access token', () => {
  let idToken: string;
  beforeAll(async () => {
    idToken = (await tokensFor('openid profile email')).id_token!;
    expect(peek(idToken).header.typ).toBe('JWT');
  });

  it('is refused at /api/v1/me and /oauth/userinfo with 401 invalid_token', async () => {
    for (const path of ['/api/v1/me', '/oauth/userinfo']) {
      const response = await fetch(`${lk.issuer}${path}`, {
        headers: { authorization: `Bearer ${idToken}` },
      });
      expect(response.status, path).toBe(401);
      expect(response.headers.get('www-authenticate'), path).toMatch(/^Bearer .*error="invalid_token"/);
      expect(await response.json(), path).toMatchObject({ error: 'invalid_token' });
    }
  });

  it('is refused by latchkey/verify, even for a verifier whose audience is the client', async () => {
    for (const audience of [lk.issuer, client.clientId]) {
      const verifier = createVerifier({ issuer: lk.issuer, audience });
      await expect(verifier.verify(idToken)).rejects.toMatchObject({
        code: 'invalid_token',
        description: 'token typ is not at+jwt',
      });
    }
  });
});

describe('userinfo', () => {
  it('answers 403 insufficient_scope, naming openid, to a token without it', async () => {
    const { access_token } = await tokensFor('invoices:read');
    const response = await userinfo(access_token);
    expect(response.status).toBe(403);
    const challenge = response.headers.get('www-authenticate')!;
    expect(challenge).toMatch(/^Bearer /);
    expect(challenge).toContain('error="insufficient_scope"');
    expect(challenge).toContain('scope="openid"');
    expect(await response.json()).toMatchObject({ error: 'insufficient_scope' });
  });

  it('answers 401 without a token, with a bad one, and once the person revoked the app', async () => {
    const none = await fetch(`${lk.issuer}/oauth/userinfo`, { method: 'POST' });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer realm="[^"]+"/);
    expect(none.headers.get('www-authenticate')).not.toContain('error=');
    expect(none.headers.get('cache-control')).toBe('no-store');

    const bad = await userinfo('not-a-token');
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toContain('error="invalid_token"');

    const { access_token } = await tokensFor('openid');
    expect((await userinfo(access_token)).status).toBe(200);
    const { claims } = peek(access_token);
    await lk.services.store.grants.revoke(String(claims.gid), Date.now());
    expect((await userinfo(access_token)).status).toBe(401);
  });
});

describe('with a resource indicator (RFC 8707)', () => {
  let withResources: Latchkey;
  afterAll(() => withResources?.close());

  it('still grants openid and issues the ID token; userinfo wants a token for the default audience', async () => {
    const billing = 'https://billing.example';
    withResources = await startLatchkey({
      env: { LATCHKEY_RESOURCES: JSON.stringify({ [billing]: { scopes: ['invoices:read'] } }) },
    });
    const app = await oidcClient(withResources, redirectUri);
    const user = await withResources.createUser();
    const someone = new Person(withResources, user.email, user.password);
    await someone.signIn();
    const { code, verifier } = await obtainCode(someone, {
      client: app,
      redirectUri,
      scope: 'openid invoices:read',
      extra: { resource: billing },
    });
    const { status, body } = await tokenRequest(withResources, app, {
      grant_type: 'authorization_code',
      code: code!,
      code_verifier: verifier,
      redirect_uri: redirectUri,
    });
    expect(status).toBe(200);
    expect(body.scope).toBe('openid invoices:read');
    expect(peek(String(body.access_token)).claims.aud).toBe(billing);
    expect(peek(String(body.id_token)).claims).toMatchObject({ sub: user.userId, aud: app.clientId });
    // The access token is the billing API's, not Latchkey's own userinfo endpoint's.
    const info = await fetch(`${withResources.issuer}/oauth/userinfo`, {
      headers: { authorization: `Bearer ${body.access_token}` },
    });
    expect(info.status).toBe(401);
  });
});
