import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Latchkey, requestToken, startLatchkey, testClock } from '../helpers/latchkey.ts';

// DESIGN.md: 429 with Retry-After past LATCHKEY_TOKEN_RATE_LIMIT per client; failed authentications
// are limited per client id and per address so the endpoint cannot be used to guess secrets.
const clock = testClock(Date.UTC(2026, 10, 22, 12, 0, 0));
let lk: Latchkey;

const post = (c: { clientId: string; clientSecret: string }) => requestToken(lk.issuer, c, { auth: 'post' });

beforeAll(async () => {
  lk = await startLatchkey({ clock, env: { LATCHKEY_TOKEN_RATE_LIMIT: '5/minute' } });
});
afterAll(() => lk.close());

describe('per-client token rate limit', () => {
  it('answers 429 with Retry-After and advice past the limit, per client, until the window passes', async () => {
    const a = await lk.createClient();
    const b = await lk.createClient();
    for (let i = 0; i < 5; i++) expect((await post(a)).status).toBe(200);

    clock.advance(20_000);
    const limited = await post(a);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('40');
    expect(limited.headers.get('cache-control')).toBe('no-store');
    const body = await limited.json();
    expect(body.error).toBe('slow_down');
    expect(body.error_description).toMatch(/Reuse the access token until it expires/);

    // Another client is not affected.
    expect((await post(b)).status).toBe(200);

    clock.advance(40_000);
    expect((await post(a)).status).toBe(200);
  });
});

describe('failed authentication limit', () => {
  it('locks a client id out after repeated wrong secrets, even for the right secret, until the window passes', async () => {
    clock.set(Date.UTC(2026, 10, 22, 13, 0, 0));
    const victim = await lk.createClient();
    const wrong = (await lk.createClient()).clientSecret;
    for (let i = 0; i < 10; i++) {
      expect((await post({ clientId: victim.clientId, clientSecret: wrong })).status).toBe(401);
    }
    const locked = await post(victim);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await locked.json()).error_description).toMatch(/Too many failed authentications/);

    clock.advance(60_000);
    expect((await post(victim)).status).toBe(200);
  });

  it('limits one address guessing across many client ids', async () => {
    clock.set(Date.UTC(2026, 10, 22, 14, 0, 0));
    const wrong = (await lk.createClient()).clientSecret;
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++) {
      const id = `lkc_${String(i).padStart(22, '0')}`;
      statuses.push((await post({ clientId: id, clientSecret: wrong })).status);
    }
    expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
    expect(statuses[30]).toBe(429);
  });
});

describe('behind a reverse proxy (LATCHKEY_TRUST_PROXY)', () => {
  it('limits failed authentications per forwarded client address, not per proxy', async () => {
    const proxied = await startLatchkey({ clock, env: { LATCHKEY_TRUST_PROXY: '127.0.0.1' } });
    try {
      clock.set(Date.UTC(2026, 10, 22, 16, 0, 0));
      const wrong = (await proxied.createClient()).clientSecret;
      const attempt = (i: number, from: string) =>
        fetch(`${proxied.issuer}/oauth/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': from },
          body: new URLSearchParams({
            grant_type: 'client_credentials',
            client_id: `lkc_${String(i).padStart(22, '0')}`,
            client_secret: wrong,
          }),
        });
      for (let i = 0; i < 30; i++) expect((await attempt(i, '203.0.113.7')).status).toBe(401);
      expect((await attempt(30, '203.0.113.7')).status).toBe(429);
      // Another client behind the same proxy is not locked out.
      expect((await attempt(31, '198.51.100.20')).status).toBe(401);
    } finally {
      await proxied.close();
    }
  });

  it('wrong secrets sent for a public client ID from one address do not lock the integrator out elsewhere', async () => {
    const proxied = await startLatchkey({ clock, env: { LATCHKEY_TRUST_PROXY: '127.0.0.1' } });
    try {
      clock.set(Date.UTC(2026, 10, 22, 17, 0, 0));
      const victim = await proxied.createClient();
      const wrong = (await proxied.createClient()).clientSecret;
      const post = (secret: string, from: string) =>
        fetch(`${proxied.issuer}/oauth/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': from },
          body: new URLSearchParams({
            grant_type: 'client_credentials',
            client_id: victim.clientId,
            client_secret: secret,
          }),
        });
      for (let i = 0; i < 10; i++) expect((await post(wrong, '203.0.113.9')).status).toBe(401);
      // The attacker's address is limited for this client, even with the right secret…
      expect((await post(victim.clientSecret, '203.0.113.9')).status).toBe(429);
      // …while the integrator, at its own address, keeps getting tokens.
      expect((await post(victim.clientSecret, '198.51.100.77')).status).toBe(200);
    } finally {
      await proxied.close();
    }
  });
});
