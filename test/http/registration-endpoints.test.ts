import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clientCount,
  initialAccessToken,
  publicClientMetadata,
  register,
  registrationRequest,
} from '../helpers/dynamic-registration.ts';
import { type Latchkey, startLatchkey, testClock } from '../helpers/latchkey.ts';

// LATCHKEY_DYNAMIC_REGISTRATION decides whether the registration endpoint exists, who may use it and
// whether the metadata names it; `open` counts every attempt per address before any work.
const metadataPaths = ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'];
const metadataOf = async (lk: Latchkey, path: string) =>
  (await (await fetch(`${lk.issuer}${path}`)).json()) as Record<string, unknown>;

describe('off (the default)', () => {
  let lk: Latchkey;
  beforeAll(async () => {
    lk = await startLatchkey();
  });
  afterAll(() => lk.close());

  it('has no registration endpoint, and the metadata names none', async () => {
    expect(lk.services.config.dynamicRegistration).toBe('off');
    expect((await register(lk, publicClientMetadata())).status).toBe(404);
    expect((await registrationRequest(lk, 'GET', '/lkc_x', { token: 'x' })).status).toBe(404);
    expect((await registrationRequest(lk, 'DELETE', '/lkc_x', { token: 'x' })).status).toBe(404);
    for (const path of metadataPaths)
      expect(await metadataOf(lk, path)).not.toHaveProperty('registration_endpoint');
  });
});

describe('token, under an issuer with a path', () => {
  let lk: Latchkey;
  beforeAll(async () => {
    lk = await startLatchkey({ issuerPath: '/auth', env: { LATCHKEY_DYNAMIC_REGISTRATION: 'token' } });
  });
  afterAll(() => lk.close());

  it('names the endpoint in both metadata documents', async () => {
    for (const path of metadataPaths) {
      expect((await metadataOf(lk, path)).registration_endpoint).toBe(`${lk.issuer}/oauth/register`);
    }
    const inserted = await fetch(`${new URL(lk.issuer).origin}/.well-known/oauth-authorization-server/auth`);
    expect((await inserted.json()).registration_endpoint).toBe(`${lk.issuer}/oauth/register`);
  });

  it('registers under the path; registration_client_uri answers there', async () => {
    const token = await initialAccessToken(lk);
    const r = await register(lk, publicClientMetadata(), token);
    expect(r.status).toBe(201);
    const uri = String(r.body.registration_client_uri);
    expect(uri).toBe(`${lk.issuer}/oauth/register/${r.body.client_id}`);
    const read = await fetch(uri, {
      headers: { authorization: `Bearer ${r.body.registration_access_token}` },
    });
    expect(read.status).toBe(200);
  });

  it('caps the body at 64 KiB (413), storing nothing', async () => {
    const token = await initialAccessToken(lk);
    const before = await clientCount(lk);
    const r = await register(lk, { ...publicClientMetadata(), software_id: 'x'.repeat(70_000) }, token);
    expect(r.status).toBe(413);
    expect(r.body.error).toBe('invalid_request');
    expect(await clientCount(lk)).toBe(before);
  });

  it('answers 405 with Allow for other methods', async () => {
    const r = await registrationRequest(lk, 'GET', '');
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('POST');
    const p = await registrationRequest(lk, 'PATCH', '/lkc_x', { body: {} });
    expect(p.status).toBe(405);
    expect(p.headers.get('allow')).toBe('GET, PUT, DELETE');
  });
});

describe('open', () => {
  const clock = testClock(Date.UTC(2026, 10, 22, 12, 0, 0));
  let lk: Latchkey;
  beforeAll(async () => {
    lk = await startLatchkey({
      clock,
      env: { LATCHKEY_DYNAMIC_REGISTRATION: 'open', LATCHKEY_TRUST_PROXY: 'true' },
    });
  });
  afterAll(() => lk.close());
  const from = (address: string) => ({ 'x-forwarded-for': address });

  it('registers without a token; the registration access token still guards the registration', async () => {
    const r = await registrationRequest(lk, 'POST', '', {
      body: publicClientMetadata(),
      headers: from('203.0.113.1'),
    });
    expect(r.status).toBe(201);
    expect((await lk.services.store.clients.find(String(r.body.client_id)))!.createdBy).toBe(
      'dynamic-registration',
    );
    expect((await registrationRequest(lk, 'GET', `/${r.body.client_id}`)).status).toBe(401);
  });

  it('takes JSON only (415 for a form)', async () => {
    const r = await fetch(`${lk.issuer}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...from('203.0.113.9') },
      body: 'client_name=x&redirect_uris=https://a.example/cb',
    });
    expect(r.status).toBe(415);
  });

  it('allows 10 attempts an hour per address, refused ones included, counted before the body is read', async () => {
    const address = '198.51.100.7';
    const send = (body: unknown) => registrationRequest(lk, 'POST', '', { body, headers: from(address) });
    for (let i = 0; i < 7; i++) expect((await send(publicClientMetadata())).status).toBe(201);
    for (let i = 0; i < 3; i++) expect((await send({ client_name: 'x' })).status).toBe(400);
    const before = await clientCount(lk);

    const over = await registrationRequest(lk, 'POST', '', { raw: '{broken', headers: from(address) });
    expect(over.status).toBe(429);
    expect(over.body.error).toBe('slow_down');
    const retryAfter = Number(over.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    expect((await send(publicClientMetadata())).status).toBe(429);
    expect(await clientCount(lk)).toBe(before);

    // Another address is counted on its own; the hour passes and this one may register again.
    const other = await registrationRequest(lk, 'POST', '', {
      body: publicClientMetadata(),
      headers: from('198.51.100.8'),
    });
    expect(other.status).toBe(201);
    clock.advance(retryAfter * 1000);
    expect((await send(publicClientMetadata())).status).toBe(201);
  });

  it('counts an IPv6 caller by its /64', async () => {
    const send = (address: string) =>
      registrationRequest(lk, 'POST', '', { body: { client_name: 'x' }, headers: from(address) });
    for (let i = 1; i <= 10; i++) expect((await send(`2001:db8:7:7::${i.toString(16)}`)).status).toBe(400);
    const sameBlock = await send('2001:db8:7:7:ffff:1:2:3');
    expect(sameBlock.status).toBe(429);
    expect((await send('2001:db8:7:8::1')).status).toBe(400);
  });
});
