import { clientCredentials } from '@latchkey/client';
import { createVerifier, TokenVerificationError, type VerifierOptions } from '@latchkey/verify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Latchkey, startLatchkey, testClock } from '../helpers/latchkey.ts';
import { hmacWithKey, parts, tamper, unsecured } from './craft.ts';

let lk: Latchkey;
let token: string;

/** Counts requests per path, so tests can see what the verifier fetched. */
function countingFetch() {
  const counts = new Map<string, number>();
  const fetchImpl: typeof fetch = (input, init) => {
    const path = new URL(input instanceof Request ? input.url : input).pathname;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    return fetch(input, init);
  };
  return { fetch: fetchImpl, count: (path: string) => counts.get(path) ?? 0 };
}

async function newToken(): Promise<string> {
  const client = await lk.createClient({ scopes: ['invoices:read'] });
  return clientCredentials({
    issuer: lk.issuer,
    clientId: client.clientId,
    clientSecret: client.clientSecret,
  }).getToken();
}

function verifier(options: Partial<VerifierOptions> = {}) {
  return createVerifier({ issuer: lk.issuer, audience: lk.issuer, ...options });
}

async function rejection(promise: Promise<unknown>): Promise<TokenVerificationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TokenVerificationError);
  return error as TokenVerificationError;
}

beforeAll(async () => {
  lk = await startLatchkey();
  token = await newToken();
});
afterAll(() => lk.close());

describe('createVerifier against a real Latchkey', () => {
  it('returns typed claims of a valid token', async () => {
    const claims = await verifier().verify(token);
    const { payload } = parts(token);
    expect(claims).toMatchObject({
      iss: lk.issuer,
      sub: payload.sub,
      client_id: payload.client_id,
      org_id: lk.orgId,
      scope: 'invoices:read',
      scopes: ['invoices:read'],
    });
    expect(claims.exp).toBe(payload.exp);
  });

  it('accepts any one of several audiences, and aud as a string or an array', async () => {
    const claims = await verifier({ audience: ['https://other.example', lk.issuer] }).verify(token);
    expect(claims.aud).toBe(lk.issuer);
  });

  it('finds the keys through discovery once and then answers repeated tokens from its cache', async () => {
    const counter = countingFetch();
    const v = verifier({ fetch: counter.fetch });
    for (let i = 0; i < 50; i++) await v.verify(token);
    expect(counter.count('/.well-known/oauth-authorization-server')).toBe(1);
    expect(counter.count('/.well-known/jwks.json')).toBe(1);
    expect(v.stats()).toEqual({ cacheHits: 49, cacheMisses: 1, cachedTokens: 1 });
  });

  it('rejects a token from another issuer', async () => {
    const jwksUri = `${lk.issuer}/.well-known/jwks.json`;
    const error = await rejection(verifier({ issuer: 'https://evil.example', jwksUri }).verify(token));
    expect(error.code).toBe('invalid_token');
    expect(error.status).toBe(401);
    expect(error.description).toMatch(/issuer/);
  });

  it('rejects a token meant for another audience', async () => {
    const error = await rejection(verifier({ audience: 'https://payments.example' }).verify(token));
    expect(error.description).toMatch(/audience/);
  });

  it('rejects a token signed by the issuer but not typed at+jwt (RFC 9068 §4)', async () => {
    const idTokenLike = await lk.services.keys.signJwt(parts(token).payload, 'JWT');
    expect((await rejection(verifier().verify(idTokenLike))).description).toMatch(/typ/);
    const untyped = await lk.services.keys.signJwt(parts(token).payload, '');
    expect((await rejection(verifier().verify(untyped))).description).toMatch(/typ/);
  });

  it('accepts the application/at+jwt spelling of typ', async () => {
    const spelled = await lk.services.keys.signJwt(parts(token).payload, 'application/at+jwt');
    await expect(verifier().verify(spelled)).resolves.toMatchObject({ sub: parts(token).payload.sub });
  });

  it('rejects an expired token, after the clock skew, even when it was cached while valid', async () => {
    const clock = testClock(Date.now());
    const v = verifier({ clock, clockSkewSeconds: 30 });
    await v.verify(token);
    const exp = parts(token).payload.exp as number;
    clock.set(exp * 1000 + 29_000);
    await expect(v.verify(token)).resolves.toBeDefined();
    clock.set(exp * 1000 + 30_000);
    expect((await rejection(v.verify(token))).description).toMatch(/expired/);
    // Fresh verifier, no cache: the same answer.
    expect((await rejection(verifier({ clock }).verify(token))).description).toMatch(/expired/);
  });

  it('rejects a token that is not valid yet (nbf)', async () => {
    const future = Math.floor(Date.now() / 1000) + 600;
    const early = await lk.services.keys.signJwt({ ...parts(token).payload, nbf: future }, 'at+jwt');
    expect((await rejection(verifier().verify(early))).description).toMatch(/not valid yet/);
  });

  it('rejects a tampered token', async () => {
    const v = verifier();
    await v.verify(token); // cached: the tampered text must still miss the cache
    for (const change of [
      { scope: 'invoices:read invoices:write' },
      { org_id: 'another-org' },
      { sub: 'admin' },
    ]) {
      expect((await rejection(v.verify(tamper(token, change)))).description).toMatch(/signature/);
    }
    // Change the second-to-last character (the last one carries padding bits) to another value.
    const flipped = `${token.slice(0, -2)}${token.at(-2) === 'A' ? 'B' : 'A'}${token.slice(-1)}`;
    expect((await rejection(v.verify(flipped))).code).toBe('invalid_token');
  });

  it('rejects alg none', async () => {
    expect((await rejection(verifier().verify(unsecured(token)))).description).toMatch(/alg "none"/);
  });

  it('rejects HS256 signed with the public key (JWK or PEM as the secret)', async () => {
    const jwks = (await (await fetch(`${lk.issuer}/.well-known/jwks.json`)).json()) as { keys: object[] };
    const pem = await (await fetch(`${lk.issuer}/pem`)).text();
    for (const secret of [JSON.stringify(jwks.keys[0]), pem]) {
      expect((await rejection(verifier().verify(hmacWithKey(token, secret)))).description).toMatch(
        /alg "HS256"/,
      );
    }
  });

  it('rejects garbage with invalid_token, never a crash', async () => {
    for (const junk of [
      'abc',
      'a.b',
      'a.b.c',
      '..',
      'e30.e30.',
      `${token}.x`,
      'e30.e30.e30',
      '!!!.e30.e30',
    ]) {
      expect((await rejection(verifier().verify(junk))).code).toBe('invalid_token');
    }
  });

  it('refetches the JWKS on an unknown kid after a key rotation (rate limited), then accepts the new key', async () => {
    const clock = testClock(Date.now());
    const counter = countingFetch();
    const v = verifier({ clock, fetch: counter.fetch, jwksCooldownSeconds: 10 });
    await v.verify(token);
    expect(counter.count('/.well-known/jwks.json')).toBe(1);

    const newKid = await lk.rotateKeys();
    const rotated = await newToken();
    expect(parts(rotated).header.kid).toBe(newKid);
    expect(parts(rotated).header.kid).not.toBe(parts(token).header.kid);

    // Within the cooldown: no refetch, so a flood of made-up kids cannot hammer the issuer.
    clock.advance(5_000);
    expect((await rejection(v.verify(rotated))).description).toMatch(/no key/);
    expect(counter.count('/.well-known/jwks.json')).toBe(1);

    clock.advance(5_000);
    await expect(v.verify(rotated)).resolves.toMatchObject({ iss: lk.issuer });
    expect(counter.count('/.well-known/jwks.json')).toBe(2);
    // The old key stays published, so tokens it signed keep verifying.
    await expect(v.verify(token)).resolves.toBeDefined();

    // A made-up kid right after costs no request either.
    const bogusKid = (await lk.services.keys.signJwt(parts(rotated).payload, 'at+jwt')).replace(
      /^[^.]+/,
      (h) => {
        const header = JSON.parse(Buffer.from(h, 'base64url').toString());
        return Buffer.from(JSON.stringify({ ...header, kid: 'made-up' })).toString('base64url');
      },
    );
    await rejection(v.verify(bogusKid));
    expect(counter.count('/.well-known/jwks.json')).toBe(2);
  });

  it('reports an unreachable issuer as temporarily_unavailable (503), not as a bad token', async () => {
    const v = createVerifier({ issuer: 'http://127.0.0.1:9', audience: 'x' });
    const error = await rejection(v.verify(token));
    expect(error.code).toBe('temporarily_unavailable');
    expect(error.status).toBe(503);
  });

  it('rejects an algorithm left out of `algorithms`', async () => {
    const error = await rejection(verifier({ algorithms: ['RS256'] }).verify(token));
    expect(error.description).toMatch(/alg "ES256"/);
  });
});
