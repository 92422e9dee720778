import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Latchkey, startLatchkey } from '../helpers/latchkey.ts';
import { discover, insecure, json, post, register, signedInPerson } from '../helpers/oauth-clients.ts';
import { obtainCode, pkcePair } from '../helpers/oauth-flow.ts';

// DPoP (RFC 9449) at the token endpoint and the demo API, with oauth4webapi and hand-made proofs.
let lk: Latchkey;
let as: oauth.AuthorizationServer;

beforeAll(async () => {
  lk = await startLatchkey();
  as = await discover(lk);
});
afterAll(() => lk.close());

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString());
const newKey = () => generateKeyPair('ES256', { extractable: true });
type KeyPair = Awaited<ReturnType<typeof newKey>>;

async function proof(
  key: KeyPair,
  claims: { htm?: string; htu?: string; iat?: number; jti?: string; ath?: string; nonce?: string },
  typ = 'dpop+jwt',
): Promise<string> {
  return new SignJWT({
    htm: claims.htm ?? 'POST',
    htu: claims.htu ?? `${lk.issuer}/oauth/token`,
    jti: claims.jti ?? crypto.randomUUID(),
    ...(claims.ath && { ath: claims.ath }),
    ...(claims.nonce && { nonce: claims.nonce }),
  })
    .setProtectedHeader({ alg: 'ES256', typ, jwk: await exportJWK(key.publicKey) })
    .setIssuedAt(claims.iat ?? Math.floor(Date.now() / 1000))
    .sign(key.privateKey);
}

const ath = async (token: string) =>
  Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token))).toString('base64url');

const ccWithProof = (c: { clientId: string; clientSecret: string }, dpop?: string) =>
  post(
    lk,
    '/oauth/token',
    { grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret },
    dpop ? { dpop } : {},
  );

describe('DPoP (RFC 9449)', () => {
  it('advertises its algorithms', () => {
    expect(as.dpop_signing_alg_values_supported).toContain('ES256');
  });

  it('oauth4webapi gets a DPoP-bound token and calls the demo API with proofs', async () => {
    const registered = await register(lk);
    const client: oauth.Client = { client_id: registered.clientId };
    const key = await newKey();
    const DPoP = oauth.DPoP(client, key);
    const tokens = await oauth.processClientCredentialsResponse(
      as,
      client,
      await oauth.clientCredentialsGrantRequest(
        as,
        client,
        oauth.ClientSecretPost(registered.clientSecret),
        {},
        { DPoP, ...insecure },
      ),
    );
    expect(tokens.token_type).toBe('dpop');
    expect(claimsOf(tokens.access_token).cnf).toEqual({
      jkt: await calculateJwkThumbprint(await exportJWK(key.publicKey)),
    });

    const me = await oauth.protectedResourceRequest(
      tokens.access_token,
      'GET',
      new URL(`${lk.issuer}/api/v1/me`),
      new Headers(),
      null,
      { DPoP, ...insecure },
    );
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ client_id: registered.clientId });

    // The same token as a plain Bearer token is refused.
    const bearer = await fetch(`${lk.issuer}/api/v1/me`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(bearer.status).toBe(401);
    expect(bearer.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_dpop_proof"/);
  });

  it('refuses at the token endpoint: a replayed proof, a wrong htu, a stale iat, a wrong typ, a second header', async () => {
    const registered = await register(lk);
    const key = await newKey();
    const once = await proof(key, {});
    expect((await ccWithProof(registered, once)).status).toBe(200);
    const cases = {
      replayed: once,
      htu: await proof(key, { htu: `${lk.issuer}/oauth/par` }),
      htm: await proof(key, { htm: 'GET' }),
      stale: await proof(key, { iat: Math.floor(Date.now() / 1000) - 300 }),
      typ: await proof(key, {}, 'JWT'),
    };
    for (const [name, dpop] of Object.entries(cases)) {
      const r = await ccWithProof(registered, dpop);
      expect(r.status, name).toBe(400);
      expect((await json(r)).error, name).toBe('invalid_dpop_proof');
    }
  });

  it('refuses at the demo API: a missing or wrong ath, another key, a replayed proof, a wrong htu', async () => {
    const registered = await register(lk);
    const key = await newKey();
    const token = (await json(await ccWithProof(registered, await proof(key, {})))).access_token as string;
    const me = `${lk.issuer}/api/v1/me`;
    const call = (dpop: string) => fetch(me, { headers: { authorization: `DPoP ${token}`, dpop } });
    const good = await proof(key, { htm: 'GET', htu: me, ath: await ath(token) });
    expect((await call(good)).status).toBe(200);
    const cases = {
      replayed: good,
      noAth: await proof(key, { htm: 'GET', htu: me }),
      wrongAth: await proof(key, { htm: 'GET', htu: me, ath: await ath('other') }),
      otherKey: await proof(await newKey(), { htm: 'GET', htu: me, ath: await ath(token) }),
      htu: await proof(key, { htm: 'GET', htu: `${lk.issuer}/api/v1/invoices`, ath: await ath(token) }),
    };
    for (const [name, dpop] of Object.entries(cases)) {
      const r = await call(dpop);
      expect(r.status, name).toBe(401);
      expect(r.headers.get('www-authenticate'), name).toMatch(/^DPoP error="invalid_dpop_proof"/);
    }
  });

  it('a client registered to require DPoP gets no token without a proof', async () => {
    const registered = await register(lk, { requireDpop: true });
    const r = await ccWithProof(registered);
    expect(r.status).toBe(400);
    expect(await json(r)).toMatchObject({ error: 'invalid_dpop_proof' });
    expect((await ccWithProof(registered, await proof(await newKey(), {}))).status).toBe(200);
  });

  it('binds a public client’s refresh tokens to its key', async () => {
    const registered = await register(lk, { isPublic: true });
    const person = await signedInPerson(lk);
    const pkce = pkcePair();
    const { code } = await obtainCode(person, {
      client: registered,
      pkce: false,
      extra: { code_challenge: pkce.challenge, code_challenge_method: 'S256' },
    });
    const key = await newKey();
    const exchange = await json(
      await post(
        lk,
        '/oauth/token',
        {
          grant_type: 'authorization_code',
          client_id: registered.clientId,
          code: code!,
          code_verifier: pkce.verifier,
        },
        { dpop: await proof(key, {}) },
      ),
    );
    expect(exchange.token_type).toBe('DPoP');
    const refresh = (dpop?: string) =>
      post(
        lk,
        '/oauth/token',
        {
          grant_type: 'refresh_token',
          client_id: registered.clientId,
          refresh_token: exchange.refresh_token as string,
        },
        dpop ? { dpop } : {},
      );
    expect(await json(await refresh())).toMatchObject({ error: 'invalid_grant' });
    expect(await json(await refresh(await proof(await newKey(), {})))).toMatchObject({
      error: 'invalid_grant',
    });
    const refreshed = await json(await refresh(await proof(key, {})));
    expect(refreshed.token_type).toBe('DPoP');
  });
});

describe('DPoP nonces (LATCHKEY_DPOP_NONCE)', () => {
  it('asks for a nonce with use_dpop_nonce and accepts the retry (oauth4webapi)', async () => {
    const withNonce = await startLatchkey({ env: { LATCHKEY_DPOP_NONCE: 'true' } });
    try {
      const server = await discover(withNonce);
      const registered = await withNonce.createClient();
      const client: oauth.Client = { client_id: registered.clientId };
      const DPoP = oauth.DPoP(client, await newKey());
      const request = () =>
        oauth.clientCredentialsGrantRequest(
          server,
          client,
          oauth.ClientSecretPost(registered.clientSecret),
          {},
          {
            DPoP,
            ...insecure,
          },
        );
      const first = await request();
      expect(first.status).toBe(400);
      expect(first.headers.get('dpop-nonce')).toBeTruthy();
      const error = await oauth.processClientCredentialsResponse(server, client, first).catch((e) => e);
      expect(oauth.isDPoPNonceError(error)).toBe(true);
      const tokens = await oauth.processClientCredentialsResponse(server, client, await request());
      expect(tokens.token_type).toBe('dpop');
    } finally {
      await withNonce.close();
    }
  });
});
