import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Latchkey, startLatchkey, type TestClient, testClock } from '../helpers/latchkey.ts';
import { Person } from '../helpers/oauth-flow.ts';
import { approve, oidcClient, peek, rpAuthorization, rpConfig, sessionCookie } from '../helpers/oidc-rp.ts';
import { startLatchkeyOnPostgres } from '../helpers/postgres.ts';

/**
 * openid-client, unmodified, as the relying party of "Sign in with the platform": discovery, the code
 * flow with PKCE and nonce, the ID token validated with its signature (non-repudiation checks:
 * the JWKS), userinfo, a refresh that keeps `sub`, and DPoP; on SQLite and PostgreSQL, at the root
 * and under an issuer with a path.
 */
const variants = [
  { name: 'SQLite', start: startLatchkey, issuerPath: '' },
  { name: 'SQLite under /auth', start: startLatchkey, issuerPath: '/auth' },
  { name: 'PostgreSQL under /auth', start: startLatchkeyOnPostgres, issuerPath: '/auth' },
];

describe.each(variants)('openid-client against Latchkey on $name', ({ start, issuerPath }) => {
  const redirectUri = 'http://127.0.0.1:9999/callback';
  // The person signs in an hour before the app asks: `auth_time` is then, not when the token is made.
  const signInAt = Date.now() - 3_600_000;
  const clock = testClock(signInAt);
  let lk: Latchkey;
  let client: TestClient;
  let person: Person;
  let userId: string;
  let email: string;
  let config: oidc.Configuration;

  beforeAll(async () => {
    lk = await start({ clock, issuerPath, env: { LATCHKEY_TOKEN_RATE_LIMIT: '1000/minute' } });
    client = await oidcClient(lk, redirectUri);
    const user = await lk.createUser();
    ({ userId, email } = user);
    await lk.services.store.accounts.setUserName(userId, 'Grace Hopper');
    person = new Person(lk, user.email, user.password);
    await person.signIn();
    clock.set(Date.now());
    config = await rpConfig(lk, client);
    oidc.enableNonRepudiationChecks(config);
  });
  afterAll(() => lk?.close());

  /** The relying party's side of one sign-in: authorization URL, the person approves, code for tokens. */
  async function signIn(options: { scope?: string; dpop?: oidc.DPoPHandle } = {}) {
    const scope = options.scope ?? 'openid profile email';
    const { url, verifier, nonce, state } = await rpAuthorization(config, redirectUri, scope);
    const callback = new URL(await approve(person, url, lk.orgId));
    const tokens = await oidc.authorizationCodeGrant(
      config,
      callback,
      { pkceCodeVerifier: verifier, expectedNonce: nonce, expectedState: state, idTokenExpected: true },
      undefined,
      options.dpop ? { DPoP: options.dpop } : undefined,
    );
    return { tokens, nonce };
  }

  it('discovers the OpenID Provider configuration, the same document as the RFC 8414 one', async () => {
    const metadata = config.serverMetadata();
    expect(metadata).toMatchObject({
      issuer: lk.issuer,
      authorization_endpoint: `${lk.issuer}/oauth/authorize`,
      token_endpoint: `${lk.issuer}/oauth/token`,
      jwks_uri: `${lk.issuer}/.well-known/jwks.json`,
      userinfo_endpoint: `${lk.issuer}/oauth/userinfo`,
      end_session_endpoint: `${lk.issuer}/oauth/logout`,
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256'],
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      scopes_supported: expect.arrayContaining(['openid', 'profile', 'email', 'invoices:read']),
      claims_supported: expect.arrayContaining(['sub', 'auth_time', 'nonce', 'org_id', 'name', 'email']),
    });
    const origin = new URL(lk.issuer).origin;
    const documents = [
      `${lk.issuer}/.well-known/openid-configuration`,
      `${lk.issuer}/.well-known/oauth-authorization-server`,
      // RFC 8414 §3.1 inserts the well-known segment before the issuer's path.
      `${origin}/.well-known/openid-configuration${issuerPath}`,
      `${origin}/.well-known/oauth-authorization-server${issuerPath}`,
    ];
    for (const url of documents) {
      const response = await fetch(url);
      expect(response.status, url).toBe(200);
      expect(await response.json(), url).toEqual(metadata);
    }
  });

  it('signs the person in with PKCE and nonce: a validated ID token that says who and where', async () => {
    const { tokens, nonce } = await signIn();
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({
      iss: lk.issuer,
      sub: userId,
      aud: client.clientId,
      nonce,
      org_id: lk.orgId,
      name: 'Grace Hopper',
      email,
      email_verified: false,
    });
    // When the person signed in (their session's start), not when the token was made.
    const session = await lk.services.store.sessions.find(sessionCookie(person));
    expect(session?.createdAt).toBe(signInAt);
    expect(claims.auth_time).toBe(Math.floor(signInAt / 1000));
    expect(claims.iat).toBe(Math.floor(clock() / 1000));
    expect(claims.exp).toBe(claims.iat + 3600);
    const { header, claims: raw } = peek(tokens.id_token!);
    expect(header).toMatchObject({ alg: 'ES256', typ: 'JWT', kid: expect.any(String) });
    // OpenID Connect Core §3.1.3.6, computed here independently of the server.
    const digest = new Uint8Array(
      await crypto.subtle.digest('SHA-256', new TextEncoder().encode(tokens.access_token)),
    );
    expect(raw.at_hash).toBe(Buffer.from(digest.subarray(0, 16)).toString('base64url'));
    expect(tokens.scope).toBe('openid profile email');
  });

  it('answers userinfo with the claims of the granted scopes, and GET and POST alike', async () => {
    const { tokens } = await signIn();
    const info = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
    expect(info).toEqual({
      sub: userId,
      org_id: lk.orgId,
      name: 'Grace Hopper',
      email,
      email_verified: false,
    });
    const post = await fetch(`${lk.issuer}/oauth/userinfo`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(post.status).toBe(200);
    expect(post.headers.get('cache-control')).toBe('no-store');
    expect(await post.json()).toEqual(info);

    // Only `openid`: who, and nothing of the name or address.
    const bare = await signIn({ scope: 'openid' });
    expect(bare.tokens.claims()).not.toHaveProperty('email');
    expect(bare.tokens.claims()).not.toHaveProperty('name');
    expect(await oidc.fetchUserInfo(config, bare.tokens.access_token, userId)).toEqual({
      sub: userId,
      org_id: lk.orgId,
    });
  });

  it('refreshes with a new ID token for the same person, signed in at the same time', async () => {
    const { tokens } = await signIn();
    clock.advance(120_000);
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    const claims = refreshed.claims()!;
    expect(claims.sub).toBe(tokens.claims()!.sub);
    expect(claims.auth_time).toBe(Math.floor(signInAt / 1000));
    expect(claims.iat).toBe(Math.floor(clock() / 1000));
    // §12.2: no nonce at a refresh; at_hash for the new access token.
    expect(claims).not.toHaveProperty('nonce');
    expect(refreshed.id_token).not.toBe(tokens.id_token);
    expect(await oidc.fetchUserInfo(config, refreshed.access_token, claims.sub)).toMatchObject({
      sub: userId,
    });
    // Narrowed to the API scope, a refresh has no `openid` and so no ID token.
    const narrowed = await oidc.refreshTokenGrant(config, refreshed.refresh_token!, { scope: 'email' });
    expect(narrowed.id_token).toBeUndefined();
  });

  it('binds the tokens to a DPoP key, and userinfo takes them with a proof', async () => {
    clock.set(Date.now()); // the proofs' `iat` is the relying party's time
    const dpop = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair());
    const { tokens } = await signIn({ dpop });
    expect(tokens.token_type).toBe('dpop');
    const info = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub, { DPoP: dpop });
    expect(info.sub).toBe(userId);
    // Without the proof the bound token is refused.
    const bare = await fetch(`${lk.issuer}/oauth/userinfo`, {
      headers: { authorization: `DPoP ${tokens.access_token}` },
    });
    expect(bare.status).toBe(401);
    expect(bare.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_dpop_proof"/);
  });
});
