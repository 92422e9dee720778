import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Latchkey,
  requestToken,
  startLatchkey,
  type TestClient,
  testClock,
} from '../helpers/latchkey.ts';

// RFC 6749 §4.4 client_credentials; RFC 9068 JWT access tokens, verified with jose (an independent
// implementation) against the published JWKS.
const clock = testClock();
let lk: Latchkey;
let client: TestClient;

async function token(c: TestClient, extra: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const res = await requestToken(lk.issuer, c, { auth: 'post', body: extra });
  expect(res.status).toBe(200);
  return res.json();
}

beforeAll(async () => {
  lk = await startLatchkey({ clock, env: { LATCHKEY_ACCESS_TOKEN_TTL: '900' } });
  client = await lk.createClient({ scopes: ['invoices:read'] });
});
afterAll(() => lk.close());

describe('client_credentials access token (RFC 9068)', () => {
  it('is an ES256 at+jwt with every required claim, verifiable with the published keys', async () => {
    const body = await token(client);
    const accessToken = String(body.access_token);
    const jwks = await (await fetch(`${lk.issuer}/.well-known/jwks.json`)).json();
    const header = decodeProtectedHeader(accessToken);
    expect(header).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    expect(jwks.keys.map((k: { kid: string }) => k.kid)).toContain(header.kid);

    const { payload } = await jwtVerify(accessToken, createLocalJWKSet(jwks), {
      issuer: lk.issuer,
      audience: lk.issuer,
      typ: 'at+jwt',
      algorithms: ['ES256'],
      currentDate: new Date(clock()),
    });
    expect(payload).toMatchObject({
      iss: lk.issuer,
      sub: client.clientId,
      aud: lk.issuer,
      client_id: client.clientId,
      scope: 'invoices:read',
      org_id: client.orgId,
      iat: Math.floor(clock() / 1000),
      exp: Math.floor(clock() / 1000) + 900,
    });
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.expires_in).toBe(900);
  });

  it('gives each token its own jti', async () => {
    const a = await token(client);
    const b = await token(client);
    const jti = (t: unknown) => JSON.parse(Buffer.from(String(t).split('.')[1]!, 'base64url').toString()).jti;
    expect(jti(a.access_token)).not.toBe(jti(b.access_token));
  });

  it('speaks for the organization that owns the credentials', async () => {
    const otherOrg = await lk.createOrganization('Other GmbH');
    const other = await lk.createClient({ orgId: otherOrg });
    const body = await token(other);
    const me = await fetch(`${lk.issuer}/api/v1/me`, {
      headers: { authorization: `Bearer ${body.access_token}` },
    });
    expect(await me.json()).toMatchObject({
      org_id: otherOrg,
      client_id: other.clientId,
      sub: other.clientId,
      user_id: null,
    });
  });

  it('expires after LATCHKEY_ACCESS_TOKEN_TTL (moved clock, no sleep)', async () => {
    const body = await token(client);
    const call = () =>
      fetch(`${lk.issuer}/api/v1/me`, { headers: { authorization: `Bearer ${body.access_token}` } });
    expect((await call()).status).toBe(200);
    clock.advance(899_000);
    expect((await call()).status).toBe(200);
    clock.advance(1_000);
    const expired = await call();
    expect(expired.status).toBe(401);
    expect(expired.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect((await expired.json()).error_description).toMatch(/expired/);
  });
});
