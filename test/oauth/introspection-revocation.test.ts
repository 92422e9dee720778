import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Latchkey, startLatchkey, type TestClient } from '../helpers/latchkey.ts';

// RFC 7662 token introspection, RFC 7009 token revocation.
let lk: Latchkey;
let client: TestClient;
let resourceServer: TestClient;

const basic = (c: TestClient) => `Basic ${Buffer.from(`${c.clientId}:${c.clientSecret}`).toString('base64')}`;
const post = (path: string, body: Record<string, string>, c?: TestClient) =>
  fetch(`${lk.issuer}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(c && { authorization: basic(c) }) },
    body: new URLSearchParams(body),
  });
const newToken = async (c: TestClient): Promise<string> =>
  (await (await post('/oauth/token', { grant_type: 'client_credentials' }, c)).json()).access_token;

beforeAll(async () => {
  lk = await startLatchkey();
  client = await lk.createClient({ scopes: ['invoices:read'] });
  resourceServer = await lk.createClient({ name: 'Platform API', scopes: ['latchkey:introspect'] });
});
afterAll(() => lk.close());

describe('introspection (RFC 7662)', () => {
  it('requires client authentication', async () => {
    const res = await post('/oauth/introspect', { token: await newToken(client) });
    expect(res.status).toBe(401);
    expect((await res.json()).error).toBe('invalid_client');
  });

  it('describes an active token (§2.2)', async () => {
    const token = await newToken(client);
    const res = await post('/oauth/introspect', { token }, resourceServer);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toMatchObject({
      active: true,
      client_id: client.clientId,
      sub: client.clientId,
      scope: 'invoices:read',
      org_id: client.orgId,
      iss: lk.issuer,
      token_type: 'Bearer',
    });
  });

  it('answers {"active": false} for garbage and tampered tokens', async () => {
    expect(await (await post('/oauth/introspect', { token: 'nonsense' }, resourceServer)).json()).toEqual({
      active: false,
    });
    const [h, p, sig] = (await newToken(client)).split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, scope: 'invoices:write' })).toString('base64url')}.${sig}`;
    expect(await (await post('/oauth/introspect', { token: forged }, resourceServer)).json()).toEqual({
      active: false,
    });
  });
});

describe('revocation (RFC 7009)', () => {
  it('revokes an access token: it introspects inactive and the API refuses it', async () => {
    const token = await newToken(client);
    const res = await post('/oauth/revoke', { token, token_type_hint: 'access_token' }, client);
    expect(res.status).toBe(200);
    expect(await (await post('/oauth/introspect', { token }, resourceServer)).json()).toEqual({
      active: false,
    });
    const me = await fetch(`${lk.issuer}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(401);
    expect((await me.json()).error_description).toMatch(/revoked/);
  });

  it("does not let one client revoke another client's token, yet answers 200 (§2.2)", async () => {
    const token = await newToken(client);
    const res = await post('/oauth/revoke', { token }, resourceServer);
    expect(res.status).toBe(200);
    expect((await (await post('/oauth/introspect', { token }, resourceServer)).json()).active).toBe(true);
  });

  it('answers 200 for an unknown token and requires client authentication', async () => {
    expect((await post('/oauth/revoke', { token: 'unknown' }, client)).status).toBe(200);
    expect((await post('/oauth/revoke', { token: 'unknown' })).status).toBe(401);
  });

  it('deleting credentials makes their tokens inactive at once', async () => {
    const doomed = await lk.createClient();
    const token = await newToken(doomed);
    await lk.services.store.clients.delete(doomed.clientId);
    expect(await (await post('/oauth/introspect', { token }, resourceServer)).json()).toEqual({
      active: false,
    });
    const again = await post('/oauth/token', { grant_type: 'client_credentials' }, doomed);
    expect(again.status).toBe(401);
    expect((await again.json()).error).toBe('invalid_client');
  });
});
