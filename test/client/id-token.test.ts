import { createHash } from 'node:crypto';
import { checkCallback, createAuthorizationRequest, exchangeCode } from '@latchkey/client';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Latchkey, startLatchkey, type TestClient } from '../helpers/latchkey.ts';
import { Person } from '../helpers/oauth-flow.ts';
import { approve, oidcClient } from '../helpers/oidc-rp.ts';
import { type FakeServer, startFakeServer } from './fake-server.ts';

const redirectUri = 'http://127.0.0.1:9999/callback';

describe('latchkey/client: "Sign in with" against a real Latchkey', () => {
  let lk: Latchkey;
  let client: TestClient;
  let person: Person;
  let userId: string;

  beforeAll(async () => {
    lk = await startLatchkey();
    client = await oidcClient(lk, redirectUri);
    const user = await lk.createUser();
    userId = user.userId;
    person = new Person(lk, user.email, user.password);
    await person.signIn();
  });
  afterAll(() => lk?.close());

  const begin = (scope: string[]) =>
    createAuthorizationRequest({ issuer: lk.issuer, clientId: client.clientId, redirectUri, scope });
  const exchange = async (request: Awaited<ReturnType<typeof begin>>, nonce: string | undefined) => {
    const { code } = checkCallback(await approve(person, request.url, lk.orgId), request);
    return exchangeCode({
      issuer: lk.issuer,
      clientId: client.clientId,
      clientSecret: client.clientSecret,
      redirectUri,
      code,
      codeVerifier: request.codeVerifier,
      nonce,
    });
  };

  it('asks with a nonce for openid and returns the validated ID token claims', async () => {
    const request = await begin(['openid', 'email']);
    expect(request.nonce).toEqual(expect.any(String));
    expect(new URL(request.url).searchParams.get('nonce')).toBe(request.nonce);
    const tokens = await exchange(request, request.nonce);
    expect(tokens.idTokenClaims).toMatchObject({
      iss: lk.issuer,
      sub: userId,
      aud: client.clientId,
      nonce: request.nonce,
      org_id: lk.orgId,
      email: person.email,
    });
  });

  it('sends no nonce without openid, and refuses an ID token whose nonce it did not send', async () => {
    const plain = await begin(['invoices:read']);
    expect(plain.nonce).toBeUndefined();
    expect(new URL(plain.url).searchParams.has('nonce')).toBe(false);
    expect((await exchange(plain, undefined)).idTokenClaims).toBeUndefined();

    const forgotten = await begin(['openid']);
    await expect(exchange(forgotten, undefined)).rejects.toMatchObject({
      code: 'invalid_id_token',
      description: 'the ID token’s nonce is not the request’s',
    });
  });
});

/** A stand-in issuer whose token endpoint answers with the ID token a test makes. */
describe('latchkey/client: ID token validation refuses', () => {
  let server: FakeServer;
  let respond: (issuer: string) => Promise<Record<string, unknown>>;
  let keys: Awaited<ReturnType<typeof generateKeyPair>>;
  let published: Record<string, unknown>;
  const accessToken = 'the-access-token';
  const atHash = createHash('sha256').update(accessToken).digest().subarray(0, 16).toString('base64url');

  beforeAll(async () => {
    keys = await generateKeyPair('ES256');
    published = { ...(await exportJWK(keys.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  });
  beforeEach(async () => {
    server = await startFakeServer(async (request, self) => {
      if (request.path === '/.well-known/oauth-authorization-server') {
        return {
          body: {
            issuer: self.url,
            token_endpoint: `${self.url}/token`,
            jwks_uri: `${self.url}/jwks`,
          },
        };
      }
      if (request.path === '/jwks') return { body: { keys: [published] } };
      return { body: await respond(self.url) };
    });
  });
  afterEach(() => server.close());

  const sign = async (
    issuer: string,
    change: { claims?: Record<string, unknown>; typ?: string; key?: CryptoKey } = {},
  ) => {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: issuer,
      sub: 'user-1',
      aud: 'app',
      iat: now,
      exp: now + 300,
      nonce: 'n-1',
      at_hash: atHash,
      org_id: 'org-1',
      ...change.claims,
    };
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: change.typ ?? 'JWT' })
      .sign(change.key ?? keys.privateKey);
  };

  const exchange = (nonce: string | undefined = 'n-1') =>
    exchangeCode({
      issuer: server.url,
      clientId: 'app',
      clientSecret: 'secret',
      redirectUri,
      code: 'code',
      codeVerifier: 'verifier',
      nonce,
    });
  const tokens = (idToken?: string) => ({
    access_token: accessToken,
    token_type: 'Bearer',
    ...(idToken && { id_token: idToken }),
  });

  it('nothing when all is well', async () => {
    respond = async (issuer) => tokens(await sign(issuer));
    expect((await exchange()).idTokenClaims).toMatchObject({ sub: 'user-1', org_id: 'org-1' });
  });

  it.each([
    ['another signing key', { key: 'other' }, 'the ID token’s signature is invalid'],
    ['another audience', { claims: { aud: 'other-app' } }, 'the ID token is for another client'],
    [
      'another issuer',
      { claims: { iss: 'https://evil.example' } },
      'the ID token is from "https://evil.example"',
    ],
    ['another nonce', { claims: { nonce: 'n-2' } }, 'the ID token’s nonce is not the request’s'],
    [
      'another access token',
      { claims: { at_hash: 'AAAAAAAAAAAAAAAAAAAAAA' } },
      'the ID token’s at_hash does not match the access token',
    ],
    ['expired', { claims: { exp: Math.floor(Date.now() / 1000) - 120 } }, 'the ID token expired'],
    ['an access token', { typ: 'at+jwt' }, 'the ID token is not typed JWT'],
  ])('a token signed with %s', async (_name, change, description) => {
    const other = (await generateKeyPair('ES256')).privateKey;
    respond = async (issuer) => {
      const { key, ...rest } = change as { key?: string; claims?: Record<string, unknown>; typ?: string };
      return tokens(await sign(issuer, { ...rest, ...(key && { key: other }) }));
    };
    await expect(exchange()).rejects.toMatchObject({ code: 'invalid_id_token', description });
  });

  it('a response without an ID token when the request asked for openid', async () => {
    respond = async () => tokens();
    await expect(exchange()).rejects.toMatchObject({ code: 'invalid_response' });
  });
});
