import { LatchkeyError } from '@latchkey/client';
import { describe, expect, it } from 'vitest';
import { parseBearerChallenge, parseRetryAfter } from '../../packages/client/src/http-errors.ts';
import { basicAuthorization, type TokenResponse } from '../../packages/client/src/token-endpoint.ts';
import { CachedTokenSource } from '../../packages/client/src/token-source.ts';

/** A token endpoint as a function: scripted answers, counted calls. */
function scriptedEndpoint(...answers: (TokenResponse | LatchkeyError)[]) {
  const endpoint = {
    calls: 0,
    fetchToken: async (): Promise<TokenResponse> => {
      const answer = answers[Math.min(endpoint.calls++, answers.length - 1)]!;
      if (answer instanceof LatchkeyError) throw answer;
      return answer;
    },
  };
  return endpoint;
}

const token = (value: string, expiresIn = 3600): TokenResponse => ({
  access_token: value,
  token_type: 'Bearer',
  expires_in: expiresIn,
});

describe('CachedTokenSource', () => {
  it('shares one failed request among concurrent callers, and tries again on the next call', async () => {
    const endpoint = scriptedEndpoint(new LatchkeyError('server_error', { status: 500 }), token('a'));
    const source = new CachedTokenSource(endpoint.fetchToken);
    const results = await Promise.allSettled([source.getToken(), source.getToken(), source.getToken()]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(endpoint.calls).toBe(1);
    expect(await source.getToken()).toBe('a');
    expect(endpoint.calls).toBe(2);
  });

  it('keeps serving a still-valid token when renewal fails, and retries after Retry-After', async () => {
    let now = 0;
    const endpoint = scriptedEndpoint(
      token('a'),
      new LatchkeyError('rate_limited', { status: 429, retryAfterSeconds: 20 }),
      token('b'),
    );
    const source = new CachedTokenSource(endpoint.fetchToken, { clock: () => now });
    expect(await source.getToken()).toBe('a');
    now = 3_550_000; // inside the renewal window, before expiry
    expect(await source.getToken()).toBe('a');
    expect(endpoint.calls).toBe(2);
    now += 10_000;
    expect(await source.getToken()).toBe('a'); // still backing off: no request
    expect(endpoint.calls).toBe(2);
    now += 10_000;
    expect(await source.getToken()).toBe('b');
    expect(endpoint.calls).toBe(3);
  });

  it('throws once the cached token has expired and renewal still fails', async () => {
    let now = 0;
    const endpoint = scriptedEndpoint(token('a', 60), new LatchkeyError('server_error', { status: 503 }));
    const source = new CachedTokenSource(endpoint.fetchToken, { clock: () => now });
    await source.getToken();
    now = 60_000;
    await expect(source.getToken()).rejects.toMatchObject({ code: 'server_error' });
  });

  it('renews short-lived tokens at most a fifth of their lifetime early', async () => {
    let now = 0;
    const endpoint = scriptedEndpoint(token('a', 50), token('b', 50));
    const source = new CachedTokenSource(endpoint.fetchToken, { clock: () => now, renewBeforeSeconds: 60 });
    await source.getToken();
    now = 39_999;
    expect(await source.getToken()).toBe('a');
    now = 40_000;
    expect(await source.getToken()).toBe('b');
  });

  it('assumes a default lifetime when expires_in is missing', async () => {
    let now = 0;
    const endpoint = scriptedEndpoint({ access_token: 'a', token_type: 'Bearer' }, token('b'));
    const source = new CachedTokenSource(endpoint.fetchToken, {
      clock: () => now,
      defaultExpiresInSeconds: 100,
    });
    await source.getToken();
    now = 79_999;
    expect(await source.getToken()).toBe('a');
    now = 80_000;
    expect(await source.getToken()).toBe('b');
  });

  it('invalidate() ignores a token that is no longer the cached one', async () => {
    const endpoint = scriptedEndpoint(token('a'), token('b'), token('c'));
    const source = new CachedTokenSource(endpoint.fetchToken);
    await source.getToken();
    source.invalidate('a');
    expect(await source.getToken()).toBe('b');
    source.invalidate('a'); // a late caller that also saw "a" rejected
    expect(await source.getToken()).toBe('b');
    expect(endpoint.calls).toBe(2);
  });
});

describe('wire helpers', () => {
  it('form-urlencodes id and secret before Basic encoding (RFC 6749 §2.3.1)', () => {
    const header = basicAuthorization('my app:1', 'p@ss w%rd+/é');
    const decoded = atob(header.replace('Basic ', ''));
    expect(decoded).toBe('my+app%3A1:p%40ss+w%25rd%2B%2F%C3%A9');
  });

  it('reads Retry-After as seconds or an HTTP-date', () => {
    const now = Date.UTC(2026, 0, 1);
    expect(parseRetryAfter('7', now)).toBe(7);
    expect(parseRetryAfter(new Date(now + 9_500).toUTCString(), now)).toBe(9);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('parses Bearer challenges (RFC 6750 §3)', () => {
    expect(
      parseBearerChallenge(
        'Bearer realm="api", error="invalid_token", error_description="the \\"token\\" expired"',
      ),
    ).toEqual({ realm: 'api', error: 'invalid_token', error_description: 'the "token" expired' });
    expect(parseBearerChallenge('Basic realm="x", Bearer error=insufficient_scope')).toEqual({
      error: 'insufficient_scope',
    });
    expect(parseBearerChallenge('Basic realm="x"')).toBeUndefined();
  });
});

describe('expires_in as a string', () => {
  it('is read as seconds', async () => {
    let now = 0;
    const endpoint = scriptedEndpoint(
      { access_token: 'a', token_type: 'Bearer', expires_in: '120' as unknown as number },
      token('b'),
    );
    const source = new CachedTokenSource(endpoint.fetchToken, { clock: () => now });
    await source.getToken();
    now = 95_000; // renewal is due 24 s (a fifth of 120) before expiry
    expect(await source.getToken()).toBe('a');
    now = 96_000;
    expect(await source.getToken()).toBe('b');
  });
});
