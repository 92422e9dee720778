import { authenticatedFetch, clientCredentials, LatchkeyError, type TokenSource } from '@latchkey/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Latchkey, startLatchkey, type TestClient, testClock } from '../helpers/latchkey.ts';

let lk: Latchkey;

/** A fetch that counts token requests on the way to the real server. */
function countingFetch() {
  const counter = {
    tokenRequests: 0,
    fetch: ((input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      if (url.endsWith('/oauth/token')) counter.tokenRequests++;
      return fetch(input, init);
    }) as typeof fetch,
  };
  return counter;
}

function source(
  client: TestClient,
  options: Partial<Parameters<typeof clientCredentials>[0]> = {},
): TokenSource {
  return clientCredentials({
    issuer: lk.issuer,
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    ...options,
  });
}

beforeAll(async () => {
  lk = await startLatchkey();
});
afterAll(() => lk.close());

describe('clientCredentials against a real Latchkey', () => {
  it('collapses 100 concurrent callers into one token request', async () => {
    const counter = countingFetch();
    const tokens = source(await lk.createClient(), { fetch: counter.fetch });
    const results = await Promise.all(Array.from({ length: 100 }, () => tokens.getToken()));
    expect(new Set(results).size).toBe(1);
    expect(counter.tokenRequests).toBe(1);
  });

  it('reuses the cached token for many API calls', async () => {
    const counter = countingFetch();
    const tokens = source(await lk.createClient(), { fetch: counter.fetch });
    const api = authenticatedFetch(tokens, { baseUrl: lk.issuer });
    for (let i = 0; i < 20; i++) {
      const response = await api('/api/v1/me');
      expect(response.status).toBe(200);
    }
    expect(counter.tokenRequests).toBe(1);
  });

  it('renews ahead of expiry, not before', async () => {
    const counter = countingFetch();
    const clock = testClock(Date.now());
    const tokens = source(await lk.createClient(), { fetch: counter.fetch, clock, renewBeforeSeconds: 60 });
    const first = await tokens.getToken();
    // Latchkey's default lifetime is 3600 s: renewal is due 60 s before it ends.
    clock.advance(3_539_000);
    expect(await tokens.getToken()).toBe(first);
    expect(counter.tokenRequests).toBe(1);
    clock.advance(2_000);
    const second = await tokens.getToken();
    expect(second).not.toBe(first);
    expect(counter.tokenRequests).toBe(2);
  });

  it('authenticates with HTTP Basic by default and in the body with auth: post', async () => {
    const client = await lk.createClient();
    const seen: string[] = [];
    const spy: typeof fetch = (input, init) => {
      if (!String(input).endsWith('/oauth/token')) return fetch(input, init);
      const headers = new Headers(init?.headers);
      seen.push(
        headers.has('authorization') ? 'basic' : String(init?.body).includes('client_secret=') ? 'post' : '?',
      );
      return fetch(input, init);
    };
    await source(client, { fetch: spy }).getToken();
    await source(client, { fetch: spy, auth: 'post' }).getToken();
    expect(seen).toEqual(['basic', 'post']);
  });

  it('asks for the scopes it is given', async () => {
    const client = await lk.createClient({ scopes: ['invoices:read', 'payments:read'] });
    const api = authenticatedFetch(source(client, { scope: ['payments:read'] }), { baseUrl: lk.issuer });
    const me = (await (await api('/api/v1/me')).json()) as { scope: string };
    expect(me.scope).toBe('payments:read');
  });

  it('resolves an environment preset to its issuer', async () => {
    const client = await lk.createClient();
    const tokens = clientCredentials({
      environment: 'stage',
      environments: { stage: lk.issuer, production: 'https://auth.example.com' },
      clientId: client.clientId,
      clientSecret: client.clientSecret,
    });
    expect(await tokens.getToken()).toMatch(/^ey/);
    expect(() => clientCredentials({ environment: 'production', clientId: 'x', clientSecret: 'y' })).toThrow(
      LatchkeyError,
    );
  });

  it('throws the RFC 6749 error of a refused request', async () => {
    const client = await lk.createClient();
    const error = await source(client, { clientSecret: `${client.clientSecret.slice(0, -4)}AAAA` })
      .getToken()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LatchkeyError);
    expect(error).toMatchObject({ code: 'invalid_client', status: 401 });
    const scopeError = await source(client, { scope: 'no-such-scope' })
      .getToken()
      .catch((e: unknown) => e);
    expect(scopeError).toMatchObject({ code: 'invalid_scope', status: 400 });
  });

  it('renews once and retries once when the API says invalid_token (here: the token was revoked)', async () => {
    const client = await lk.createClient();
    const counter = countingFetch();
    const tokens = source(client, { fetch: counter.fetch });
    const revoked = await tokens.getToken();
    const revocation = await fetch(`${lk.issuer}/oauth/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        token: revoked,
        client_id: client.clientId,
        client_secret: client.clientSecret,
      }),
    });
    expect(revocation.status).toBe(200);

    const response = await authenticatedFetch(tokens, { baseUrl: lk.issuer })('/api/v1/me');
    expect(response.status).toBe(200);
    expect(counter.tokenRequests).toBe(2);
    expect(await tokens.getToken()).not.toBe(revoked);
  });
});

describe('authenticatedFetch and a rate-limited real Latchkey', () => {
  let limited: Latchkey;
  const serverClock = testClock(Date.now());
  beforeAll(async () => {
    limited = await startLatchkey({ clock: serverClock, env: { LATCHKEY_TOKEN_RATE_LIMIT: '2/minute' } });
  });
  afterAll(() => limited.close());

  it('waits out Retry-After on a 429 from the token endpoint and then succeeds', async () => {
    const client = await limited.createClient();
    const options = { issuer: limited.issuer, clientId: client.clientId, clientSecret: client.clientSecret };
    await clientCredentials(options).getToken();
    await clientCredentials(options).getToken();

    const waits: number[] = [];
    const api = authenticatedFetch(clientCredentials(options), {
      baseUrl: limited.issuer,
      maxRetryAfterSeconds: 60,
      random: () => 0,
      // Time passes on the server's clock only: nobody sleeps.
      sleep: async (ms) => {
        waits.push(ms);
        serverClock.advance(ms);
      },
    });
    const response = await api('/api/v1/me');
    expect(response.status).toBe(200);
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThan(0);
    expect(waits[0]).toBeLessThanOrEqual(60_000);
  });

  it('gives up after maxRetries with a rate_limited error carrying Retry-After', async () => {
    const client = await limited.createClient();
    const options = { issuer: limited.issuer, clientId: client.clientId, clientSecret: client.clientSecret };
    await clientCredentials(options).getToken();
    await clientCredentials(options).getToken();
    const waits: number[] = [];
    const api = authenticatedFetch(clientCredentials(options), {
      baseUrl: limited.issuer,
      maxRetries: 2,
      maxRetryAfterSeconds: 60,
      sleep: async (ms) => {
        waits.push(ms); // the server's clock stands still: every retry is refused again
      },
    });
    const error = await api('/api/v1/me').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LatchkeyError);
    expect(error).toMatchObject({ status: 429 });
    expect((error as LatchkeyError).retryAfterSeconds).toBeGreaterThan(0);
    expect(waits).toHaveLength(2);
  });

  it('does not retry early when Retry-After is longer than maxRetryAfterSeconds', async () => {
    const client = await limited.createClient();
    const options = { issuer: limited.issuer, clientId: client.clientId, clientSecret: client.clientSecret };
    await clientCredentials(options).getToken();
    await clientCredentials(options).getToken();
    const waits: number[] = [];
    const api = authenticatedFetch(clientCredentials(options), {
      baseUrl: limited.issuer,
      maxRetryAfterSeconds: 0,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    const error = await api('/api/v1/me').catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 429 });
    expect(waits).toEqual([]);
  });
});
