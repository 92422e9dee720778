import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Latchkey, startLatchkey, testClock } from '../helpers/latchkey.ts';
import { discover, insecure, json, post, register } from '../helpers/oauth-clients.ts';

// private_key_jwt (RFC 7523) with oauth4webapi, inline jwks and jwks_uri, and its refusals.
const clock = testClock(Date.now());
let lk: Latchkey;
let as: oauth.AuthorizationServer;

async function keyPair(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { privateKey, kid, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}
type Key = Awaited<ReturnType<typeof keyPair>>;

/** A client's own JWKS endpoint on loopback, counting the fetches. */
let jwksServer: Server;
let published: Key[] = [];
let fetches = 0;
let jwksUri: string;

beforeAll(async () => {
  // The client's keys are served on loopback: listed, as an operator lists a lab's key server.
  lk = await startLatchkey({ clock, env: { LATCHKEY_JWKS_URI_ALLOWED_HOSTS: '127.0.0.1' } });
  as = await discover(lk);
  jwksServer = createServer((_req, res) => {
    fetches++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: published.map((k) => k.jwk) }));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  jwksUri = `http://127.0.0.1:${(jwksServer.address() as { port: number }).port}/jwks.json`;
});
afterAll(async () => {
  jwksServer.close();
  await lk.close();
});

const assertion = (
  clientId: string,
  key: Key,
  claims: { aud?: string; exp?: number; jti?: string; iss?: string } = {},
) => {
  const now = Math.floor(clock() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: key.kid })
    .setIssuer(claims.iss ?? clientId)
    .setSubject(clientId)
    .setAudience(claims.aud ?? lk.issuer)
    .setIssuedAt(now)
    .setExpirationTime(claims.exp ?? now + 60)
    .setJti(claims.jti ?? crypto.randomUUID())
    .sign(key.privateKey);
};

const tokenWith = (clientId: string, clientAssertion: string, path = '/oauth/token', extra = {}) =>
  post(lk, path, {
    grant_type: 'client_credentials',
    client_id: clientId,
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: clientAssertion,
    ...extra,
  });

describe('private_key_jwt (RFC 7523)', () => {
  it('is advertised with its algorithms', () => {
    expect(as.token_endpoint_auth_methods_supported).toContain('private_key_jwt');
    expect(as.token_endpoint_auth_signing_alg_values_supported).toContain('ES256');
    expect(as.introspection_endpoint_auth_methods_supported).toContain('private_key_jwt');
  });

  it('registers keys instead of a secret, and oauth4webapi authenticates with them', async () => {
    const key = await keyPair('k1');
    const registered = await register(lk, { jwks: { keys: [key.jwk] } });
    expect(registered.clientSecret).toBe('');
    const client = { client_id: registered.clientId };
    const auth = oauth.PrivateKeyJwt({ key: key.privateKey, kid: key.kid });
    // oauth4webapi signs with its own clock; move ours to real time for this exchange.
    clock.set(Date.now());
    const tokens = await oauth.processClientCredentialsResponse(
      as,
      client,
      await oauth.clientCredentialsGrantRequest(as, client, auth, {}, insecure),
    );
    expect(tokens.access_token).toBeTruthy();
    // Introspection and revocation take the assertion too (aud: the issuer).
    const active = await oauth.processIntrospectionResponse(
      as,
      client,
      await oauth.introspectionRequest(as, client, auth, tokens.access_token, insecure),
    );
    expect(active).toMatchObject({ active: true, client_id: registered.clientId });
    await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, client, auth, tokens.access_token, insecure),
    );
    const par = await oauth.pushedAuthorizationRequest(
      as,
      client,
      auth,
      {
        response_type: 'code',
        redirect_uri: 'http://127.0.0.1:9999/callback',
        code_challenge: 'x'.repeat(43),
        code_challenge_method: 'S256',
      },
      insecure,
    );
    expect(par.status).toBe(201);

    // A secret is no way in for these credentials.
    const secret = await post(lk, '/oauth/token', {
      grant_type: 'client_credentials',
      client_id: registered.clientId,
    });
    expect(secret.status).toBe(401);
  });

  it('refuses a reused jti, even after the first use succeeded', async () => {
    const key = await keyPair('k1');
    const registered = await register(lk, { jwks: { keys: [key.jwk] } });
    const signed = await assertion(registered.clientId, key, { jti: 'once' });
    expect((await tokenWith(registered.clientId, signed)).status).toBe(200);
    const replay = await tokenWith(registered.clientId, signed);
    expect(replay.status).toBe(401);
    expect(await json(replay)).toMatchObject({
      error: 'invalid_client',
      error_description: expect.stringContaining('jti'),
    });
    // The used jti is in the database, so another instance refuses it too.
    const rows = await lk.services.store.rows('seen_values');
    expect(rows.some((r) => String(r.key).includes(':once'))).toBe(true);
  });

  it('refuses a wrong aud, an exp too far ahead, an expired one, another key, another iss', async () => {
    const key = await keyPair('k1');
    const other = await keyPair('k1');
    const registered = await register(lk, { jwks: { keys: [key.jwk] } });
    const now = Math.floor(clock() / 1000);
    const cases = {
      aud: await assertion(registered.clientId, key, { aud: 'https://elsewhere.example' }),
      far: await assertion(registered.clientId, key, { exp: now + 3600 }),
      expired: await assertion(registered.clientId, key, { exp: now - 1 }),
      forged: await assertion(registered.clientId, other),
      iss: await assertion(registered.clientId, key, { iss: 'someone-else' }),
    };
    for (const [name, signed] of Object.entries(cases)) {
      const r = await tokenWith(registered.clientId, signed);
      expect(r.status, name).toBe(401);
      expect((await json(r)).error, name).toBe('invalid_client');
    }
    // The endpoint's own URL is an accepted aud.
    const own = await assertion(registered.clientId, key, { aud: `${lk.issuer}/oauth/introspect` });
    const r = await post(lk, '/oauth/introspect', {
      token: 'x',
      client_id: registered.clientId,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: own,
    });
    expect(r.status).toBe(200);
  });

  it('jwks_uri: fetched once, refetched on an unknown kid at most every 30 s (rotation without downtime)', async () => {
    const k1 = await keyPair('k1');
    const k2 = await keyPair('k2');
    published = [k1];
    const registered = await register(lk, { jwksUri });
    fetches = 0;
    expect((await tokenWith(registered.clientId, await assertion(registered.clientId, k1))).status).toBe(200);
    expect((await tokenWith(registered.clientId, await assertion(registered.clientId, k1))).status).toBe(200);
    expect(fetches).toBe(1);

    // The client rotates to k2: an unknown kid within the cooldown does not make us fetch again.
    published = [k1, k2];
    const early = await tokenWith(registered.clientId, await assertion(registered.clientId, k2));
    expect(early.status).toBe(401);
    expect(fetches).toBe(1);
    clock.advance(31_000);
    expect((await tokenWith(registered.clientId, await assertion(registered.clientId, k2))).status).toBe(200);
    expect(fetches).toBe(2);
  });

  it('jwks_uri: an assertion that names no key makes no fetch once the set is known', async () => {
    const k1 = await keyPair('k1');
    const k2 = await keyPair('k2');
    published = [k1, k2];
    const registered = await register(lk, { jwksUri });
    fetches = 0;
    expect((await tokenWith(registered.clientId, await assertion(registered.clientId, k1))).status).toBe(200);
    clock.advance(31_000);
    const now = Math.floor(clock() / 1000);
    const noKid = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer(registered.clientId)
      .setSubject(registered.clientId)
      .setAudience(lk.issuer)
      .setExpirationTime(now + 60)
      .setJti(crypto.randomUUID())
      .sign(k1.privateKey);
    expect((await tokenWith(registered.clientId, noKid)).status).toBe(401);
    expect(fetches).toBe(1);
  });

  it('registration refuses private keys and both jwks and jwks_uri', async () => {
    const key = await keyPair('k1');
    const priv = { ...(await exportJWK(key.privateKey)), kid: 'p' };
    await expect(register(lk, { jwks: { keys: [priv] } })).rejects.toThrow(/public keys only/);
    await expect(register(lk, { jwks: { keys: [key.jwk] }, jwksUri })).rejects.toThrow(/not both/);
    await expect(register(lk, { jwksUri: 'http://example.com/jwks' })).rejects.toThrow(/jwks_uri/);
  });
});
