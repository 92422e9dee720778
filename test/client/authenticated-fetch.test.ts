import { authenticatedFetch, LatchkeyError, type TokenSource } from '@latchkey/client';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeResponse, type FakeServer, type RecordedRequest, startFakeServer } from './fake-server.ts';

/** Hands out token-1, token-2, … and records invalidations. */
function sequentialTokens(): TokenSource & { invalidated: string[] } {
  let n = 1;
  const invalidated: string[] = [];
  return {
    invalidated,
    getToken: async () => `token-${n}`,
    invalidate(token) {
      invalidated.push(token);
      if (token === `token-${n}`) n++;
    },
  };
}

let server: FakeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function api(script: (request: RecordedRequest) => FakeResponse) {
  server = await startFakeServer(script);
  return server;
}

const bearer = (request: RecordedRequest) => request.headers.authorization;
const noSleep = async () => {};

describe('authenticatedFetch (scripted API)', () => {
  it('sends the token as a Bearer header (RFC 6750 §2.1)', async () => {
    const s = await api(() => ({ body: { ok: true } }));
    const response = await authenticatedFetch(sequentialTokens(), { baseUrl: s.url })('/things');
    expect(await response.json()).toEqual({ ok: true });
    expect(bearer(s.requests[0]!)).toBe('Bearer token-1');
  });

  it('on 401 invalid_token renews once and retries once', async () => {
    const s = await api((request) =>
      bearer(request) === 'Bearer token-1'
        ? { status: 401, headers: { 'www-authenticate': 'Bearer realm="api", error="invalid_token"' } }
        : { body: { ok: true } },
    );
    const tokens = sequentialTokens();
    const response = await authenticatedFetch(tokens, { baseUrl: s.url })('/things');
    expect(response.status).toBe(200);
    expect(tokens.invalidated).toEqual(['token-1']);
    expect(s.requests.map(bearer)).toEqual(['Bearer token-1', 'Bearer token-2']);
  });

  it('throws invalid_token when the renewed token is refused too (no loop)', async () => {
    const s = await api(() => ({
      status: 401,
      headers: {
        'www-authenticate': 'Bearer realm="api", error="invalid_token", error_description="revoked"',
      },
    }));
    const error = await authenticatedFetch(sequentialTokens(), { baseUrl: s.url })('/things').catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LatchkeyError);
    expect(error).toMatchObject({ code: 'invalid_token', status: 401, description: 'revoked' });
    expect(s.requests).toHaveLength(2);
  });

  it('replays the request body on the retry', async () => {
    const s = await api((request) => (bearer(request) === 'Bearer token-1' ? { status: 401 } : { body: {} }));
    await authenticatedFetch(sequentialTokens(), { baseUrl: s.url })('/things', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ amount: 12 }),
    });
    expect(s.requests.map((r) => [r.method, r.body, r.headers['content-type']])).toEqual([
      ['POST', '{"amount":12}', 'application/json'],
      ['POST', '{"amount":12}', 'application/json'],
    ]);
  });

  it('waits Retry-After on 429 (with jitter that only adds) and retries', async () => {
    let calls = 0;
    const s = await api(() =>
      ++calls <= 2 ? { status: 429, headers: { 'retry-after': '3' } } : { body: {} },
    );
    const waits: number[] = [];
    const response = await authenticatedFetch(sequentialTokens(), {
      baseUrl: s.url,
      random: () => 0.5,
      sleep: async (ms) => {
        waits.push(ms);
      },
    })('/things');
    expect(response.status).toBe(200);
    expect(waits).toEqual([3_300, 3_300]); // 3 s + half of the 20 % jitter band
  });

  it('reads Retry-After as an HTTP-date too, and backs off exponentially without one', async () => {
    let calls = 0;
    const now = Date.UTC(2026, 0, 1);
    const s = await api(() => {
      calls++;
      if (calls === 1)
        return { status: 429, headers: { 'retry-after': new Date(now + 5_000).toUTCString() } };
      if (calls <= 3) return { status: 429 };
      return { body: {} };
    });
    const waits: number[] = [];
    await authenticatedFetch(sequentialTokens(), {
      baseUrl: s.url,
      clock: () => now,
      random: () => 0,
      sleep: async (ms) => {
        waits.push(ms);
      },
    })('/things');
    expect(waits).toEqual([5_000, 2_000, 4_000]);
  });

  it('stops after maxRetries and throws rate_limited with retryAfterSeconds', async () => {
    const s = await api(() => ({ status: 429, headers: { 'retry-after': '1' } }));
    const error = await authenticatedFetch(sequentialTokens(), {
      baseUrl: s.url,
      maxRetries: 2,
      sleep: noSleep,
    })('/things').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'rate_limited', status: 429, retryAfterSeconds: 1 });
    expect(s.requests).toHaveLength(3);
  });

  it('throws other errors at once with their RFC 6750 / 6749 code', async () => {
    const cases: [FakeResponse, Partial<LatchkeyError>][] = [
      [
        {
          status: 403,
          headers: {
            'www-authenticate': 'Bearer realm="api", error="insufficient_scope", scope="invoices:write"',
          },
        },
        { code: 'insufficient_scope', status: 403 },
      ],
      [
        { status: 400, body: { error: 'invalid_request', error_description: 'amount missing' } },
        { code: 'invalid_request', description: 'amount missing' },
      ],
      [
        { status: 404, body: 'nope' },
        { code: 'http_error', status: 404 },
      ],
      [{ status: 503 }, { code: 'server_error', status: 503 }],
    ];
    for (const [answer, expected] of cases) {
      const s = await api(() => answer);
      const error = await authenticatedFetch(sequentialTokens(), { baseUrl: s.url, sleep: noSleep })(
        '/x',
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LatchkeyError);
      expect(error).toMatchObject(expected);
      expect(s.requests).toHaveLength(1);
      await s.close();
      server = undefined;
    }
  });

  it('wraps a network failure as network_error', async () => {
    const error = await authenticatedFetch(sequentialTokens(), { baseUrl: 'http://127.0.0.1:9' })('/x').catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'network_error' });
  });

  it('passes token source errors through', async () => {
    const failing: TokenSource = {
      getToken: () => Promise.reject(new LatchkeyError('invalid_client', { status: 401 })),
      invalidate: () => {},
    };
    const error = await authenticatedFetch(failing, { baseUrl: 'http://127.0.0.1:9' })('/x').catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'invalid_client' });
  });
});
