import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clientCount,
  initialAccessToken,
  publicClientMetadata,
  register,
  registrationRequest,
} from '../helpers/dynamic-registration.ts';
import { type Latchkey, startLatchkey, testClock } from '../helpers/latchkey.ts';

// RFC 7592: the registration access token reads, replaces and deletes its own registration, and
// nothing else: another client's token, a wrong one, or a console client's id all get the same 401.
const clock = testClock(Date.now());
let lk: Latchkey;
let token: string;

beforeAll(async () => {
  lk = await startLatchkey({ clock, env: { LATCHKEY_DYNAMIC_REGISTRATION: 'token' } });
  token = await initialAccessToken(lk);
});
afterAll(() => lk.close());

async function registered(metadata: Record<string, unknown> = publicClientMetadata()) {
  const r = await register(lk, metadata, token);
  expect(r.status).toBe(201);
  return { id: String(r.body.client_id), rat: String(r.body.registration_access_token), body: r.body };
}
const path = (id: string) => `/${id}`;

describe('reading (RFC 7592 §2.1)', () => {
  it('answers the registration with the token it was read with, and no secret', async () => {
    const { id, rat, body } = await registered({
      client_name: 'Reader',
      redirect_uris: ['https://r.example/cb'],
      contacts: ['a@r.example'],
    });
    const r = await registrationRequest(lk, 'GET', path(id), { token: rat });
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    const { client_secret: _, ...withoutSecret } = body;
    expect(r.body).toEqual(withoutSecret);
    expect(r.body.client_secret_expires_at).toBe(0);
  });

  it("refuses a wrong token, another client's token, no token, and a console client, all alike", async () => {
    const mine = await registered();
    const other = await registered();
    const consoleClient = await lk.createClient();
    const refused = [
      [path(mine.id), 'wrong-token'],
      [path(mine.id), other.rat],
      [path(consoleClient.clientId), other.rat],
      [path('lkc_doesnotexist0000000000'), other.rat],
    ] as const;
    for (const [p, t] of refused) {
      const r = await registrationRequest(lk, 'GET', p, { token: t });
      expect(r.status).toBe(401);
      expect(r.body).toEqual({
        error: 'invalid_token',
        error_description: 'The registration access token is not valid for this client',
      });
      expect(r.headers.get('www-authenticate')).toMatch(/^Bearer realm=".*", error="invalid_token"/);
    }
    const bare = await registrationRequest(lk, 'GET', path(mine.id));
    expect(bare.status).toBe(401);
    expect(bare.headers.get('www-authenticate')).toBe(`Bearer realm="${lk.issuer}"`);
    // The other client's token did nothing to it either.
    expect((await registrationRequest(lk, 'GET', path(other.id), { token: other.rat })).status).toBe(200);
  });
});

describe('replacing (RFC 7592 §2.2)', () => {
  it('replaces the metadata: omitted fields go, defaults come back; audited and announced', async () => {
    const { id, rat } = await registered({
      ...publicClientMetadata(),
      scope: 'invoices:read',
      logo_uri: 'https://agent.example/logo.png',
      dpop_bound_access_tokens: true,
    });
    const r = await registrationRequest(lk, 'PUT', path(id), {
      token: rat,
      body: {
        client_id: id,
        client_name: 'Agent Tool 2',
        redirect_uris: ['http://127.0.0.1:9999/callback', 'http://[::1]:9999/callback'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'none',
        software_version: '3.0',
        // What a read answered may be sent back as it was.
        registration_access_token: rat,
        registration_client_uri: `${lk.issuer}/oauth/register/${id}`,
        client_id_issued_at: 1,
      },
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      client_id: id,
      client_name: 'Agent Tool 2',
      redirect_uris: ['http://127.0.0.1:9999/callback', 'http://[::1]:9999/callback'],
      grant_types: ['authorization_code'],
      dpop_bound_access_tokens: false,
      software_version: '3.0',
      registration_access_token: rat,
    });
    expect(r.body.logo_uri).toBeUndefined();
    expect(String(r.body.scope).split(' ')).toContain('invoices:write');
    const client = (await lk.services.store.clients.find(id))!;
    expect(client).toMatchObject({
      name: 'Agent Tool 2',
      requireDpop: false,
      softwareMetadata: { software_version: '3.0' },
    });
    const [event] = await lk.services.store.audit.list({ clientId: id, actions: ['client.updated'] });
    expect(event).toMatchObject({ orgId: null, actor: `client:${id}` });
    expect(Object.keys(event!.detail)).toEqual(
      expect.arrayContaining(['name', 'redirectUris', 'requireDpop', 'scopes', 'softwareMetadata']),
    );
  });

  it('checks client_id, the secret sent back, the rules of a new registration and the auth method', async () => {
    const confidential = await registered({ client_name: 'Conf', redirect_uris: ['https://c.example/cb'] });
    const secret = String(confidential.body.client_secret);
    const put = (body: Record<string, unknown>) =>
      registrationRequest(lk, 'PUT', path(confidential.id), { token: confidential.rat, body });
    const good = { client_id: confidential.id, client_name: 'Conf', redirect_uris: ['https://c.example/cb'] };

    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ ...good, client_id: undefined }, 'invalid_client_metadata', /client_id must be sent/],
      [{ ...good, client_id: 'lkc_someoneelse' }, 'invalid_client_metadata', /client_id must be sent/],
      [
        { ...good, client_secret: `${secret.slice(0, -1)}x` },
        'invalid_client_metadata',
        /not the current secret/,
      ],
      [{ ...good, redirect_uris: ['http://c.example/cb'] }, 'invalid_redirect_uri', /Use https/],
      [
        { ...good, token_endpoint_auth_method: 'none' },
        'invalid_client_metadata',
        /cannot change from client_secret_basic to none/,
      ],
      [{ ...good, grant_types: ['client_credentials'] }, 'invalid_client_metadata', /client_credentials/],
    ];
    for (const [body, error, description] of cases) {
      const r = await put(body);
      expect(r.status).toBe(400);
      expect(r.body).toEqual({ error, error_description: expect.stringMatching(description) });
    }
    expect((await lk.services.store.clients.find(confidential.id))!.redirectUris).toEqual([
      'https://c.example/cb',
    ]);

    // The current secret may be sent back; basic and post are the same kind.
    const r = await put({ ...good, client_secret: secret, token_endpoint_auth_method: 'client_secret_post' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      token_endpoint_auth_method: 'client_secret_post',
      client_secret_expires_at: 0,
    });
    expect(r.body.client_secret).toBeUndefined();
  });

  it('replaces the keys of a private_key_jwt client: a jwks_uri for a jwks', async () => {
    const metadata = {
      client_name: 'Keyed',
      redirect_uris: ['https://k.example/cb'],
      token_endpoint_auth_method: 'private_key_jwt',
    };
    const { id, rat } = await registered({ ...metadata, jwks_uri: 'https://keys.example/jwks' });
    const jwks = { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid: 'new' }] };
    const r = await registrationRequest(lk, 'PUT', path(id), {
      token: rat,
      body: { ...metadata, client_id: id, jwks },
    });
    expect(r.status).toBe(200);
    expect(r.body.jwks).toEqual(jwks);
    expect(r.body.jwks_uri).toBeUndefined();
    expect(await lk.services.store.clients.find(id)).toMatchObject({ jwks, jwksUri: null });
  });

  it('takes JSON only', async () => {
    const { id, rat } = await registered();
    const r = await fetch(`${lk.issuer}/oauth/register/${id}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${rat}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: `client_id=${id}&client_name=x`,
    });
    expect(r.status).toBe(415);
    expect((await r.json()).error).toBe('invalid_request');
  });
});

describe('deleting (RFC 7592 §2.3)', () => {
  it('answers 204; the client and its token are gone; audited and announced', async () => {
    const { id, rat } = await registered();
    const before = await clientCount(lk);
    const r = await registrationRequest(lk, 'DELETE', path(id), { token: rat });
    expect(r.status).toBe(204);
    expect(await clientCount(lk)).toBe(before - 1);
    expect(await lk.services.store.clients.find(id)).toBeUndefined();
    expect((await registrationRequest(lk, 'GET', path(id), { token: rat })).status).toBe(401);
    expect((await registrationRequest(lk, 'DELETE', path(id), { token: rat })).status).toBe(401);
    const [event] = await lk.services.store.audit.list({ clientId: id, actions: ['client.deleted'] });
    expect(event).toMatchObject({ orgId: null, actor: `client:${id}` });
  });
});

describe('a blocked client', () => {
  it('can neither read, replace nor delete its registration, and stays blocked', async () => {
    const { id, rat } = await registered();
    await lk.services.store.clients.block(id, clock());
    const body = { ...publicClientMetadata(), client_id: id };
    for (const method of ['GET', 'PUT', 'DELETE'] as const) {
      const r = await registrationRequest(lk, method, path(id), {
        token: rat,
        ...(method === 'PUT' && { body }),
      });
      expect(r.status).toBe(403);
      expect(r.body).toEqual({
        error: 'invalid_client',
        error_description: expect.stringMatching(/blocked/),
      });
    }
    expect((await lk.services.store.clients.find(id))!.blockedAt).toBe(clock());
  });
});
