import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Latchkey, requestToken, startLatchkey, type TestClient } from '../helpers/latchkey.ts';

// RFC 6750 §2.1 (header), §3 (WWW-Authenticate), §3.1 (error codes) on the demo API.
let lk: Latchkey;
let client: TestClient;
let token: string;

const me = (authorization?: string, path = '/api/v1/me') =>
  fetch(`${lk.issuer}${path}`, { headers: authorization ? { authorization } : {} });

beforeAll(async () => {
  lk = await startLatchkey();
  client = await lk.createClient({ scopes: ['profile:read'] });
  const res = await requestToken(lk.issuer, client);
  token = (await res.json()).access_token;
});
afterAll(() => lk.close());

describe('/api/v1/me', () => {
  it('says who the token speaks for', async () => {
    const res = await me(`Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      client_id: client.clientId,
      org_id: client.orgId,
      sub: client.clientId,
      scope: 'profile:read',
    });
  });

  it('without a token: 401 with a realm and no error code (§3.1)', async () => {
    const res = await me();
    expect(res.status).toBe(401);
    // RFC 9728 §5.1 adds where the resource's metadata is (DESIGN.md, protected resource metadata).
    expect(res.headers.get('www-authenticate')).toBe(
      `Bearer realm="${lk.issuer}", resource_metadata="${lk.issuer}/.well-known/oauth-protected-resource"`,
    );
  });

  it('with a malformed or tampered token: 401 invalid_token', async () => {
    for (const auth of [
      'Bearer abc.def.ghi',
      `Bearer ${token.slice(0, -4)}AAAA`,
      'Basic Zm9vOmJhcg==',
      `Bearer ${token}x!`,
    ]) {
      const res = await me(auth);
      expect(res.status, auth).toBe(401);
      expect(res.headers.get('www-authenticate'), auth).toMatch(
        /^Bearer realm="[^"]+", error="invalid_token"/,
      );
      expect((await res.json()).error).toBe('invalid_token');
    }
  });

  it('refuses a token signed with alg none or another key', async () => {
    const [, payload] = token.split('.');
    const none = `${Buffer.from('{"alg":"none","typ":"at+jwt"}').toString('base64url')}.${payload}.`;
    expect((await me(`Bearer ${none}`)).status).toBe(401);
  });

  it('a route needing a scope the token lacks: 403 insufficient_scope (§3.1)', async () => {
    const res = await me(`Bearer ${token}`, '/api/v1/invoices');
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(res.headers.get('www-authenticate')).toContain('scope="invoices:read"');
    expect((await res.json()).error).toBe('insufficient_scope');
  });
});

describe('/api/v1/me with a user token', () => {
  it('refuses the token once its grant is revoked (connected app removed)', async () => {
    const { issueAccessToken } = await import('../../src/oauth/access-token.ts');
    const user = await lk.createUser();
    const grant = await lk.services.store.grants.create(
      {
        clientId: client.clientId,
        userId: user.userId,
        orgId: client.orgId,
        scope: 'profile:read',
      },
      Date.now(),
    );
    const { accessToken } = await issueAccessToken(
      {
        clientId: client.clientId,
        orgId: client.orgId,
        subject: user.userId,
        scope: ['profile:read'],
        grantId: grant.id,
      },
      lk.services,
    );
    const ok = await me(`Bearer ${accessToken}`);
    expect(await ok.json()).toMatchObject({
      sub: user.userId,
      user_id: user.userId,
      client_id: client.clientId,
    });
    await lk.services.store.grants.revoke(grant.id, Date.now());
    const refused = await me(`Bearer ${accessToken}`);
    expect(refused.status).toBe(401);
    expect((await refused.json()).error_description).toMatch(/authorization behind this token was revoked/);
  });
});
