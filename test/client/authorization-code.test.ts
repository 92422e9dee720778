import { createHash } from 'node:crypto';
import {
  checkCallback,
  clientCredentials,
  createAuthorizationRequest,
  exchangeCode,
  LatchkeyError,
  refreshTokenSource,
} from '@latchkey/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeServer, form, startFakeServer } from './fake-server.ts';

/**
 * A stand-in authorization server for the code flow (the real login/consent pages land later):
 * it checks PKCE and rotates refresh tokens the way Latchkey does, revoking the whole grant when
 * a rotated refresh token comes back.
 */
function fakeAuthorizationServer() {
  const state = { challenge: '', current: 'rt-0', generation: 0, revoked: false, refreshRequests: 0 };
  const handler = async (
    request: Parameters<Parameters<typeof startFakeServer>[0]>[0],
    self: { url: string },
  ) => {
    if (request.path === '/.well-known/oauth-authorization-server') {
      return {
        body: {
          issuer: self.url,
          authorization_endpoint: `${self.url}/oauth/authorize`,
          token_endpoint: `${self.url}/oauth/token`,
          authorization_response_iss_parameter_supported: true,
        },
      };
    }
    const params = form(request);
    const tokens = (n: number) => ({
      access_token: `at-${n}`,
      token_type: 'Bearer',
      expires_in: 3600,
      refresh_token: `rt-${n}`,
    });
    if (params.grant_type === 'authorization_code') {
      const challenge = createHash('sha256')
        .update(params.code_verifier ?? '')
        .digest('base64url');
      if (params.code !== 'the-code' || challenge !== state.challenge) {
        return { status: 400, body: { error: 'invalid_grant', error_description: 'PKCE check failed' } };
      }
      return { body: tokens(0) };
    }
    if (params.grant_type === 'refresh_token') {
      state.refreshRequests++;
      await new Promise((resolve) => setTimeout(resolve, 20)); // keep it in flight while others call
      if (state.revoked || params.refresh_token !== state.current) {
        state.revoked = true; // reuse of a rotated token: the grant is burned
        return { status: 400, body: { error: 'invalid_grant', error_description: 'refresh token reused' } };
      }
      state.generation++;
      state.current = `rt-${state.generation}`;
      return { body: tokens(state.generation) };
    }
    if (params.grant_type === 'client_credentials')
      return { body: { ...tokens(99), refresh_token: undefined } };
    return { status: 400, body: { error: 'unsupported_grant_type' } };
  };
  return { state, handler };
}

let server: FakeServer;
let auth: ReturnType<typeof fakeAuthorizationServer>;
beforeEach(async () => {
  auth = fakeAuthorizationServer();
  server = await startFakeServer(auth.handler);
});
afterEach(() => server.close());

const client = { clientId: 'app', clientSecret: 'secret', redirectUri: 'http://127.0.0.1:9999/callback' };

describe('authorization code helpers', () => {
  it('builds the authorize URL with PKCE S256 and state from discovery', async () => {
    const request = await createAuthorizationRequest({ issuer: server.url, ...client, scope: ['a', 'b'] });
    const url = new URL(request.url);
    expect(`${url.origin}${url.pathname}`).toBe(`${server.url}/oauth/authorize`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'app',
      redirect_uri: client.redirectUri,
      scope: 'a b',
      state: request.state,
      code_challenge: createHash('sha256').update(request.codeVerifier).digest('base64url'),
      code_challenge_method: 'S256',
    });
    expect(request.codeVerifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(request.state).not.toBe(request.codeVerifier);
    expect(request.issuer).toBe(server.url);
  });

  it('checks the callback: iss first (RFC 9207), then state, then error, then code', () => {
    const expected = { state: 's1', issuer: server.url };
    const callback = (params: Record<string, string>) =>
      `${client.redirectUri}?${new URLSearchParams(params)}`;
    expect(checkCallback(callback({ code: 'c', state: 's1', iss: server.url }), expected)).toEqual({
      code: 'c',
    });
    const codeOf = (params: Record<string, string>) => {
      try {
        checkCallback(callback(params), expected);
        return 'accepted';
      } catch (error) {
        return (error as LatchkeyError).code;
      }
    };
    expect(codeOf({ code: 'c', state: 's1', iss: 'https://evil.example' })).toBe('issuer_mismatch');
    expect(codeOf({ code: 'c', state: 's1' })).toBe('issuer_mismatch');
    expect(codeOf({ code: 'c', state: 's2', iss: server.url })).toBe('state_mismatch');
    expect(codeOf({ error: 'access_denied', state: 's1', iss: server.url })).toBe('access_denied');
    expect(codeOf({ state: 's1', iss: server.url })).toBe('invalid_response');
    expect(
      checkCallback(new URLSearchParams({ code: 'c', state: 's1' }), { ...expected, requireIss: false }),
    ).toEqual({
      code: 'c',
    });
  });

  it('exchanges the code with the verifier, then refreshes, handing each rotated refresh token to the callback', async () => {
    const request = await createAuthorizationRequest({ issuer: server.url, ...client });
    auth.state.challenge = new URL(request.url).searchParams.get('code_challenge')!;
    const { code } = checkCallback(
      `${client.redirectUri}?code=the-code&state=${request.state}&iss=${server.url}`,
      request,
    );
    const tokens = await exchangeCode({
      issuer: server.url,
      ...client,
      code,
      codeVerifier: request.codeVerifier,
    });
    expect(tokens).toMatchObject({ access_token: 'at-0', refresh_token: 'rt-0' });

    const stored: string[] = [];
    let now = Date.now();
    const source = refreshTokenSource({
      issuer: server.url,
      ...client,
      refreshToken: tokens.refresh_token!,
      initialTokens: tokens,
      clock: () => now,
      onRefreshToken: async (refreshToken) => {
        stored.push(refreshToken);
      },
    });
    expect(await source.getToken()).toBe('at-0'); // seeded: no refresh yet
    expect(auth.state.refreshRequests).toBe(0);

    now += 3_600_000;
    expect(await source.getToken()).toBe('at-1');
    now += 3_600_000;
    expect(await source.getToken()).toBe('at-2');
    expect(stored).toEqual(['rt-1', 'rt-2']);
    expect(auth.state.revoked).toBe(false);
  });

  it('runs one refresh for concurrent callers, so the refresh token is not replayed and burned', async () => {
    const stored: string[] = [];
    const source = refreshTokenSource({
      issuer: server.url,
      ...client,
      refreshToken: 'rt-0',
      onRefreshToken: (refreshToken) => {
        stored.push(refreshToken);
      },
    });
    const results = await Promise.all(Array.from({ length: 10 }, () => source.getToken()));
    expect(new Set(results)).toEqual(new Set(['at-1']));
    expect(auth.state.refreshRequests).toBe(1);
    source.invalidate('at-1');
    const again = await Promise.all([source.getToken(), source.getToken()]);
    expect(again).toEqual(['at-2', 'at-2']);
    expect(stored).toEqual(['rt-1', 'rt-2']);
    expect(auth.state).toMatchObject({ refreshRequests: 2, revoked: false });
  });

  it('reports a failed store as storage_error and refreshes with the new token next time', async () => {
    let failStore = true;
    const stored: string[] = [];
    const source = refreshTokenSource({
      issuer: server.url,
      ...client,
      auth: 'post',
      refreshToken: 'rt-0',
      onRefreshToken: (refreshToken) => {
        if (failStore) throw new Error('disk full');
        stored.push(refreshToken);
      },
    });
    await expect(source.getToken()).rejects.toMatchObject({ code: 'storage_error' });
    failStore = false;
    expect(await source.getToken()).toBe('at-2');
    expect(stored).toEqual(['rt-2']);
    expect(auth.state.revoked).toBe(false);
    expect(form(server.requests.at(-1)!)).toMatchObject({
      client_id: 'app',
      client_secret: 'secret',
      refresh_token: 'rt-1',
    });
  });

  it('surfaces invalid_grant when the refresh token is no longer good', async () => {
    const source = refreshTokenSource({
      issuer: server.url,
      ...client,
      refreshToken: 'rt-stale',
      onRefreshToken: () => {},
    });
    const error = await source.getToken().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LatchkeyError);
    expect(error).toMatchObject({ code: 'invalid_grant', status: 400 });
  });
});

describe('endpoint discovery', () => {
  it('posts straight to a configured tokenEndpoint without discovery', async () => {
    const tokens = clientCredentials({
      tokenEndpoint: `${server.url}/oauth/token`,
      clientId: 'app',
      clientSecret: 's',
    });
    expect(await tokens.getToken()).toBe('at-99');
    expect(server.requests.map((r) => r.path)).toEqual(['/oauth/token']);
  });

  it('discovers the token endpoint once and refuses metadata naming another issuer (RFC 8414 §3.3)', async () => {
    const tokens = clientCredentials({ issuer: server.url, clientId: 'app', clientSecret: 's' });
    await tokens.getToken();
    tokens.invalidate('at-99');
    await tokens.getToken();
    expect(server.requests.map((r) => r.path)).toEqual([
      '/.well-known/oauth-authorization-server',
      '/oauth/token',
      '/oauth/token',
    ]);
    const impostor = clientCredentials({ issuer: `${server.url}/`, clientId: 'app', clientSecret: 's' });
    await expect(impostor.getToken()).rejects.toMatchObject({ code: 'issuer_mismatch' });
  });
});
