import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/crypto.ts';
import { type Latchkey, startLatchkey, type TestClient, testClock } from '../helpers/latchkey.ts';
import { pkcePair } from '../helpers/oauth-flow.ts';
import { type PrivateRedis, startPrivateRedis } from '../helpers/redis.ts';

// Issue 28 item 7: anonymous requests must not grow the database. GET /oauth/authorize parks a
// request (with its state) before anyone signs in, and a public client pushes requests (PAR) with
// only its client_id: values, pushed requests and requests per address are bounded.
const cb = 'https://app.example.com/callback';
const clock = testClock(Date.UTC(2026, 10, 22, 12, 0, 0));
let lk: Latchkey;
let confidential: TestClient;
let publicClient: TestClient;

beforeAll(async () => {
  lk = await startLatchkey({ clock });
  confidential = await lk.createClient({ redirectUris: [cb] });
  publicClient = await lk.createClient({ public: true, redirectUris: [cb] });
});
afterAll(() => lk.close());

const authorizeQuery = (clientId: string, extra: Record<string, string> = {}) =>
  new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: cb,
    state: 'st',
    code_challenge: pkcePair().challenge,
    code_challenge_method: 'S256',
    ...extra,
  });
const authorize = (issuer: string, clientId: string, extra: Record<string, string> = {}) =>
  fetch(`${issuer}/oauth/authorize?${authorizeQuery(clientId, extra)}`, { redirect: 'manual' });

function push(issuer: string, client: TestClient, params: Record<string, string>): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (client.clientSecret) {
    headers.authorization = `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`;
  }
  return fetch(`${issuer}/oauth/par`, {
    method: 'POST',
    headers,
    body: new URLSearchParams({ ...Object.fromEntries(authorizeQuery(client.clientId)), ...params }),
  });
}

describe('what anonymous requests can make the server keep', () => {
  it('a state (or any value) over 4096 characters is refused at /oauth/authorize, not parked nor sent back', async () => {
    const ok = await authorize(lk.issuer, confidential.clientId, { state: 's'.repeat(4096) });
    expect(ok.status).toBe(302);
    expect(ok.headers.get('location')).toMatch(/\/login\?/);

    const overlong: Record<string, string>[] = [{ state: 's'.repeat(4097) }, { nonce: 'n'.repeat(5000) }];
    for (const extra of overlong) {
      const refused = await authorize(lk.issuer, confidential.clientId, extra);
      expect(refused.status).toBe(302);
      const to = new URL(refused.headers.get('location')!);
      expect(`${to.origin}${to.pathname}`).toBe(cb);
      expect(to.searchParams.get('error')).toBe('invalid_request');
      expect(to.searchParams.get('error_description')).toMatch(/is longer than 4096 characters/);
      expect(to.searchParams.get('state')).toBe(extra.state ? null : 'st');
    }
  });

  it('PAR keeps only the parameters /oauth/authorize reads, each up to 4096 characters, 16 KB in all', async () => {
    const pushed = await push(lk.issuer, confidential, { foo: 'x'.repeat(3000), bar: 'y' });
    expect(pushed.status).toBe(201);
    const { request_uri } = (await pushed.json()) as { request_uri: string };
    const kept = await lk.services.store.pushedRequests.take(sha256(request_uri), clock());
    expect(Object.keys(kept!.params).sort()).toEqual([
      'client_id',
      'code_challenge',
      'code_challenge_method',
      'redirect_uri',
      'response_type',
      'state',
    ]);

    const longValue = await push(lk.issuer, confidential, { state: 's'.repeat(4097) });
    expect(longValue.status).toBe(400);
    expect(await longValue.json()).toMatchObject({
      error: 'invalid_request',
      error_description: 'Parameter "state" is longer than 4096 characters',
    });
    const four = 'v'.repeat(4096);
    const tooMuch = await push(lk.issuer, confidential, {
      state: four,
      scope: four,
      prompt: four,
      resource: four,
    });
    expect(tooMuch.status).toBe(400);
    expect(await tooMuch.json()).toMatchObject({
      error: 'invalid_request',
      error_description: expect.stringMatching(
        /^The pushed request is \d+ characters long; at most 16384 are kept$/,
      ),
    });
  });

  it('one address may send 120 authorization requests and public-client pushes a minute, then 429; a confidential client is not counted', async () => {
    clock.advance(60_000);
    // The count is per address, shared by the authorization endpoint and a public client's PAR.
    expect((await push(lk.issuer, publicClient, {})).status).toBe(201);
    for (let i = 1; i < 120; i++)
      expect((await authorize(lk.issuer, confidential.clientId)).status).toBe(302);

    const page = await authorize(lk.issuer, confidential.clientId);
    expect(page.status).toBe(429);
    expect(Number(page.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(page.headers.get('location')).toBeNull();
    expect(await page.text()).toContain('Too many sign-in requests');
    const par = await push(lk.issuer, publicClient, {});
    expect(par.status).toBe(429);
    expect(Number(par.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await par.json()).toMatchObject({ error: 'slow_down' });
    // An authenticated client pushes for its users from its own servers: not counted per address.
    expect((await push(lk.issuer, confidential, {})).status).toBe(201);

    clock.advance(60_000);
    expect((await authorize(lk.issuer, confidential.clientId)).status).toBe(302);
  });
});

describe('the per-address count across instances', () => {
  let redis: PrivateRedis;
  let a: Latchkey;
  let b: Latchkey;
  beforeAll(async () => {
    redis = await startPrivateRedis();
    a = await startLatchkey({ clock, env: { LATCHKEY_REDIS_URL: redis.url } });
    b = await startLatchkey({
      clock,
      env: { LATCHKEY_REDIS_URL: redis.url, LATCHKEY_DATABASE: a.services.config.database },
    });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await redis?.stop();
  });

  it('is kept in Redis when configured: 60 requests at each of two instances use up the address', async () => {
    clock.advance(60_000);
    const client = await a.createClient({ redirectUris: [cb] });
    for (let i = 0; i < 60; i++) {
      expect((await authorize(a.issuer, client.clientId)).status).toBe(302);
      expect((await authorize(b.issuer, client.clientId)).status).toBe(302);
    }
    expect((await authorize(a.issuer, client.clientId)).status).toBe(429);
    expect((await authorize(b.issuer, client.clientId)).status).toBe(429);
  });
});
