import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Latchkey,
  requestToken,
  startLatchkey,
  type TestClient,
  testClock,
} from '../helpers/latchkey.ts';

// The server checks its own tokens with @latchkey/verify (the verifier APIs use), keys from its key ring:
// the same rules hold at /api/v1/me and at introspection as in every API that uses latchkey/verify.
const clock = testClock();
let lk: Latchkey;
let client: TestClient;

const me = (token: string) =>
  fetch(`${lk.issuer}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
const introspect = async (token: string) =>
  (
    await fetch(`${lk.issuer}/oauth/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, client_id: client.clientId, client_secret: client.clientSecret }),
    })
  ).json();
/** A token signed with the server's own key, with claims changed from a valid one. */
const signed = (changes: Record<string, unknown>, keys = lk.services.keys): Promise<string> => {
  const now = Math.floor(clock() / 1000);
  const claims = {
    iss: lk.issuer,
    sub: client.clientId,
    aud: lk.services.config.audience,
    client_id: client.clientId,
    scope: '',
    org_id: client.orgId,
    iat: now,
    exp: now + 600,
    jti: randomUUID(),
    ...changes,
  };
  return keys.signJwt(claims, 'at+jwt');
};

beforeAll(async () => {
  lk = await startLatchkey({ clock });
  client = await lk.createClient();
});
afterAll(() => lk.close());

describe("the server's own Bearer check and introspection", () => {
  it('accept a token signed by its key with the expected claims', async () => {
    const token = await signed({});
    expect((await me(token)).status).toBe(200);
    expect((await introspect(token)).active).toBe(true);
  });

  it('refuse a token meant for another audience (RFC 9068 §4)', async () => {
    const token = await signed({ aud: 'https://another-api.example' });
    const res = await me(token);
    expect(res.status).toBe(401);
    expect((await res.json()).error_description).toMatch(/audience/);
    expect(await introspect(token)).toEqual({ active: false });
  });

  it('refuse a token not valid yet (nbf, RFC 7519 §4.1.5)', async () => {
    const token = await signed({ nbf: Math.floor(clock() / 1000) + 3600 });
    expect((await me(token)).status).toBe(401);
    expect(await introspect(token)).toEqual({ active: false });
  });

  it('refuse a token at its exp, with no skew allowance', async () => {
    const token = await signed({ exp: Math.floor(clock() / 1000) + 1 });
    clock.advance(1000);
    expect((await me(token)).status).toBe(401);
  });

  it('follow a key rotated by another process at once', async () => {
    const other = await startLatchkey({ clock, env: { LATCHKEY_DATABASE: lk.services.config.database } });
    try {
      const before = (await (await requestToken(lk.issuer, client)).json()).access_token;
      expect((await me(before)).status).toBe(200);
      await other.rotateKeys();
      clock.advance(11_000);
      // Signed with the key the other process made (the instances share one issuer behind a balancer).
      const issuedThere = await signed({}, other.services.keys);
      expect((await me(issuedThere)).status).toBe(200);
      expect((await introspect(issuedThere)).active).toBe(true);
    } finally {
      await other.close();
    }
  });
});
