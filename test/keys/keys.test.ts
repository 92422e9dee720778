import { createPublicKey } from 'node:crypto';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Latchkey,
  requestToken,
  startLatchkey,
  type TestClient,
  testClock,
} from '../helpers/latchkey.ts';

const clock = testClock();
let lk: Latchkey;
let client: TestClient;

const token = async (): Promise<string> => {
  const res = await requestToken(lk.issuer, client);
  return (await res.json()).access_token;
};
const jwks = async () => (await fetch(`${lk.issuer}/.well-known/jwks.json`)).json();
const kidOf = (t: string) => JSON.parse(Buffer.from(t.split('.')[0]!, 'base64url').toString()).kid;

beforeAll(async () => {
  lk = await startLatchkey({ clock, env: { LATCHKEY_ACCESS_TOKEN_TTL: '600' } });
  client = await lk.createClient();
});
afterAll(() => lk.close());

describe('signing keys', () => {
  it('publishes only public parts, with kid, alg and use', async () => {
    const res = await fetch(`${lk.issuer}/.well-known/jwks.json`);
    expect(res.headers.get('cache-control')).toMatch(/max-age/);
    const { keys } = await res.json();
    expect(keys).toHaveLength(1);
    expect(Object.keys(keys[0]).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    expect(keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
  });

  it('publishes the same keys as PEM', async () => {
    const pem = await (await fetch(`${lk.issuer}/pem`)).text();
    expect(pem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    const { keys } = await jwks();
    const fromPem = createPublicKey(pem).export({ format: 'jwk' });
    expect(fromPem.x).toBe(keys[0].x);
  });

  it('rotation signs with the new key and keeps the old published until its tokens expired', async () => {
    const before = await token();
    const oldKid = kidOf(before);
    const newKid = await lk.rotateKeys();
    const after = await token();
    expect(kidOf(after)).toBe(newKid);

    const set = await jwks();
    expect(set.keys.map((k: { kid: string }) => k.kid).sort()).toEqual([newKid, oldKid].sort());
    for (const t of [before, after]) {
      await expect(
        jwtVerify(t, createLocalJWKSet(set), { issuer: lk.issuer, currentDate: new Date(clock()) }),
      ).resolves.toBeTruthy();
    }
    // The old token still works at the API.
    expect(
      (await fetch(`${lk.issuer}/api/v1/me`, { headers: { authorization: `Bearer ${before}` } })).status,
    ).toBe(200);

    // Once every token the old key signed has expired (TTL + margin), rotation prunes it.
    clock.advance((600 + 300) * 1000 + 1000);
    await lk.rotateKeys();
    const kids = (await jwks()).keys.map((k: { kid: string }) => k.kid);
    expect(kids).not.toContain(oldKid);
    expect(kids).toContain(newKid);
  });

  it('keeps keys across restarts (stored, not regenerated)', async () => {
    const kids = (await jwks()).keys.map((k: { kid: string }) => k.kid);
    await lk.services.keys.reload();
    expect((await jwks()).keys.map((k: { kid: string }) => k.kid)).toEqual(kids);
  });
});
