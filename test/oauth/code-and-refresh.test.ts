import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { randomToken, sha256 } from '../../src/crypto.ts';
import { hashRefreshToken } from '../../src/oauth/refresh-tokens.ts';
import { type Latchkey, startLatchkey, type TestClient, testClock } from '../helpers/latchkey.ts';
import {
  introspect,
  obtainCode,
  Person,
  pkcePair,
  tokenEndpointLike,
  tokenRequest,
} from '../helpers/oauth-flow.ts';

const cb = 'http://127.0.0.1:9999/callback';
const clock = testClock();
let lk: Latchkey;
let client: TestClient;
let person: Person;

beforeAll(async () => {
  lk = await startLatchkey({
    clock,
    env: {
      LATCHKEY_REFRESH_TOKEN_IDLE_TTL: '3600',
      LATCHKEY_REFRESH_TOKEN_ABSOLUTE_TTL: '10800',
      LATCHKEY_TOKEN_RATE_LIMIT: '1000/minute',
    },
  });
  client = await lk.createClient({
    redirectUris: [cb],
    scopes: ['profile:read', 'invoices:read', 'invoices:write'],
  });
  const u = await lk.createUser();
  person = new Person(lk, u.email, u.password);
  await person.signIn();
});
afterAll(() => lk.close());

/** A fresh code; consent is remembered after the first, so later ones skip the page. */
async function code(options: { scope?: string; pkce?: boolean; c?: TestClient } = {}) {
  const r = await obtainCode(person, {
    client: options.c ?? client,
    redirectUri: cb,
    scope: options.scope,
    pkce: options.pkce,
  });
  return { code: r.code!, verifier: r.verifier };
}

const redeem = (c: { code: string; verifier?: string }, extra: Record<string, string> = {}, who = client) =>
  tokenRequest(lk, who, {
    grant_type: 'authorization_code',
    code: c.code,
    redirect_uri: cb,
    ...(c.verifier && { code_verifier: c.verifier }),
    ...extra,
  });

describe('authorization codes (RFC 6749 §4.1.2, §4.1.3, §10.5)', () => {
  it('issues a user token: sub = user, org_id = chosen organization, client_id = the software', async () => {
    const t = await redeem(await code({ scope: 'profile:read' }));
    expect(t.status).toBe(200);
    expect(t.body).toMatchObject({ token_type: 'Bearer', scope: 'profile:read' });
    const me = await fetch(`${lk.issuer}/api/v1/me`, {
      headers: { authorization: `Bearer ${t.body.access_token}` },
    });
    const body = await me.json();
    expect(body.client_id).toBe(client.clientId);
    expect(body.org_id).toBe(lk.orgId);
    expect(body.sub).not.toBe(client.clientId);
    expect(body.user_id).toBe(body.sub);
  });

  it('a second redemption fails with invalid_grant and revokes what the first issued', async () => {
    const c = await code();
    const first = await redeem(c);
    expect(first.status).toBe(200);
    expect((await introspect(lk, client, String(first.body.access_token))).active).toBe(true);
    const second = await redeem(c);
    expect(second.status).toBe(400);
    expect(second.body.error).toBe('invalid_grant');
    expect((await introspect(lk, client, String(first.body.access_token))).active).toBe(false);
    expect((await introspect(lk, client, String(first.body.refresh_token))).active).toBe(false);
    const refresh = await tokenRequest(lk, client, {
      grant_type: 'refresh_token',
      refresh_token: String(first.body.refresh_token),
    });
    expect(refresh.body.error).toBe('invalid_grant');
  });

  it('two redemptions racing each other: exactly one wins', async () => {
    const c = await code();
    const results = await Promise.all([redeem(c), redeem(c), redeem(c)]);
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.body.error === 'invalid_grant')).toHaveLength(2);
  });

  it('a code issued to another client is refused (and not burnt for its owner)', async () => {
    const other = await lk.createClient({ redirectUris: [cb] });
    const c = await code();
    expect((await redeem(c, {}, other)).body.error).toBe('invalid_grant');
    expect((await redeem(c)).status).toBe(200);
  });

  it('a wrong or missing redirect_uri at the token endpoint is refused', async () => {
    const c = await code();
    expect((await redeem(c, { redirect_uri: `${cb}/` })).body.error).toBe('invalid_grant');
    const { redirect_uri: _, ...noRedirect } = {
      grant_type: 'authorization_code',
      code: c.code,
      code_verifier: c.verifier!,
      redirect_uri: cb,
    };
    expect((await tokenRequest(lk, client, noRedirect)).body.error).toBe('invalid_grant');
    expect((await redeem(c)).status).toBe(200);
  });

  it('codes expire after 60 s', async () => {
    const c = await code();
    clock.advance(61_000);
    const r = await redeem(c);
    expect(r.body.error).toBe('invalid_grant');
    expect(String(r.body.error_description)).toMatch(/expired/);
  });

  it('PKCE: a code issued with a challenge needs the verifier, and the right one', async () => {
    const c = await code();
    expect((await redeem({ code: c.code })).body.error).toBe('invalid_grant');
    expect((await redeem({ code: c.code, verifier: pkcePair().verifier })).body.error).toBe('invalid_grant');
    expect((await redeem(c)).status).toBe(200);
  });

  it('PKCE downgrade: a verifier for a code issued without a challenge is refused', async () => {
    const legacy = await lk.createClient({ redirectUris: [cb] });
    await lk.services.store.clients.update(legacy.clientId, { pkceOptional: true });
    const c = await code({ pkce: false, c: legacy });
    expect((await redeem({ code: c.code, verifier: pkcePair().verifier }, {}, legacy)).body.error).toBe(
      'invalid_grant',
    );
    expect((await redeem({ code: c.code }, {}, legacy)).status).toBe(200);
  });

  it('codes are stored hashed', async () => {
    const c = await code();
    const rows = await lk.services.store.rows('authorization_codes');
    expect(rows.some((r) => r.code_hash === c.code)).toBe(false);
  });

  it('a client not allowed the authorization_code grant is refused', async () => {
    const m2m = await lk.createClient({ redirectUris: [cb], grants: ['client_credentials'] });
    const r = await tokenRequest(lk, m2m, { grant_type: 'authorization_code', code: 'x', redirect_uri: cb });
    expect(r.body.error).toBe('unauthorized_client');
  });
});

describe('refresh tokens (RFC 6749 §6, RFC 9700 §4.14)', () => {
  let tokens: Record<string, unknown>;
  beforeEach(async () => {
    tokens = (await redeem(await code({ scope: 'profile:read invoices:read' }))).body;
  });
  const refresh = (token: unknown, extra: Record<string, string> = {}, who = client) =>
    tokenRequest(lk, who, { grant_type: 'refresh_token', refresh_token: String(token), ...extra });

  it('codes and refresh tokens start with the time they were issued (their stored keys sort by it)', async () => {
    const c = await code({ scope: 'profile:read' });
    const stamp = (token: string) => Number.parseInt(token.slice(0, 12), 16);
    for (const token of [c.code, String(tokens.refresh_token)]) {
      expect(token).toMatch(/^[0-9a-f]{12}[A-Za-z0-9_-]{43}$/);
      expect(stamp(token)).toBe(clock());
    }
    expect((await redeem(c)).status).toBe(200);
  });

  it('a refresh token issued before stamps (stored under its plain SHA-256) still rotates', async () => {
    const store = lk.services.store.refreshTokens;
    const current = await store.find(hashRefreshToken(String(tokens.refresh_token)));
    const old = randomToken(32);
    await store.create({ ...current!, tokenHash: sha256(old) });
    const r = await refresh(old);
    expect(r.status).toBe(200);
    expect(String(r.body.refresh_token)).toMatch(/^[0-9a-f]{12}/);
    expect((await refresh(old)).body.error).toBe('invalid_grant');
  });

  it('every use rotates the token', async () => {
    const r1 = await refresh(tokens.refresh_token);
    expect(r1.status).toBe(200);
    expect(r1.body.refresh_token).not.toBe(tokens.refresh_token);
    expect(r1.body.scope).toBe('profile:read invoices:read');
    const r2 = await refresh(r1.body.refresh_token);
    expect(r2.status).toBe(200);
  });

  it('using a rotated token again revokes the whole family and the access tokens', async () => {
    const r1 = await refresh(tokens.refresh_token);
    const reuse = await refresh(tokens.refresh_token);
    expect(reuse.body.error).toBe('invalid_grant');
    expect((await refresh(r1.body.refresh_token)).body.error).toBe('invalid_grant');
    expect((await introspect(lk, client, String(r1.body.access_token))).active).toBe(false);
    expect((await introspect(lk, client, String(tokens.access_token))).active).toBe(false);
  });

  it('two refreshes racing with one token: exactly one gets tokens, and the family is treated as stolen', async () => {
    const results = await Promise.all([refresh(tokens.refresh_token), refresh(tokens.refresh_token)]);
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    const winner = results.find((r) => r.status === 200)!;
    // The loser is indistinguishable from a replay (RFC 9700 §4.14.2), so the family is revoked.
    expect((await refresh(winner.body.refresh_token)).body.error).toBe('invalid_grant');
  });

  it('a refresh may narrow the scope but never widen it', async () => {
    const narrow = await refresh(tokens.refresh_token, { scope: 'profile:read' });
    expect(narrow.status).toBe(200);
    expect(narrow.body.scope).toBe('profile:read');
    // The new refresh token keeps the original scope (§6).
    const again = await refresh(narrow.body.refresh_token);
    expect(again.body.scope).toBe('profile:read invoices:read');
    const wide = await refresh(again.body.refresh_token, { scope: 'profile:read invoices:write' });
    expect(wide.status).toBe(400);
    expect(wide.body.error).toBe('invalid_scope');
  });

  it('is bound to its client', async () => {
    const other = await lk.createClient({ redirectUris: [cb] });
    expect((await refresh(tokens.refresh_token, {}, other)).body.error).toBe('invalid_grant');
    expect((await refresh(tokens.refresh_token)).status).toBe(200);
  });

  it('expires when idle (LATCHKEY_REFRESH_TOKEN_IDLE_TTL)', async () => {
    clock.advance(3601_000);
    expect((await refresh(tokens.refresh_token)).body.error).toBe('invalid_grant');
  });

  it('expires absolutely (LATCHKEY_REFRESH_TOKEN_ABSOLUTE_TTL) however often it is used', async () => {
    let current = tokens.refresh_token;
    for (let i = 0; i < 3; i++) {
      clock.advance(3000_000);
      const r = await refresh(current);
      expect(r.status).toBe(200);
      current = r.body.refresh_token;
    }
    clock.advance(1801_000); // 10,801 s after the code
    expect((await refresh(current)).body.error).toBe('invalid_grant');
  });

  it('introspection shows an active refresh token to its client only', async () => {
    const info = await introspect(lk, client, String(tokens.refresh_token));
    expect(info).toMatchObject({
      active: true,
      token_type: 'refresh_token',
      client_id: client.clientId,
      org_id: lk.orgId,
    });
    const other = await lk.createClient({ redirectUris: [cb] });
    expect((await introspect(lk, other, String(tokens.refresh_token))).active).toBe(false);
  });

  it('revoking a refresh token (RFC 7009) revokes its family and the access tokens', async () => {
    const r1 = await refresh(tokens.refresh_token);
    const revoked = await tokenEndpointLike(lk, '/oauth/revoke', client, {
      token: String(r1.body.refresh_token),
    });
    expect(revoked.status).toBe(200);
    expect((await refresh(r1.body.refresh_token)).body.error).toBe('invalid_grant');
    expect((await introspect(lk, client, String(r1.body.access_token))).active).toBe(false);
  });

  it('another client cannot revoke it (200, nothing happens)', async () => {
    const other = await lk.createClient({ redirectUris: [cb] });
    expect(
      (await tokenEndpointLike(lk, '/oauth/revoke', other, { token: String(tokens.refresh_token) })).status,
    ).toBe(200);
    expect((await refresh(tokens.refresh_token)).status).toBe(200);
  });

  it('refresh tokens are stored hashed', async () => {
    const rows = await lk.services.store.rows('refresh_tokens');
    expect(rows.some((r) => r.token_hash === tokens.refresh_token)).toBe(false);
  });
});
