import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Latchkey, startLatchkey, type TestClient } from '../helpers/latchkey.ts';
import { obtainCode, Person, pkcePair, tokenRequest } from '../helpers/oauth-flow.ts';

const cb = 'http://127.0.0.1:9999/callback';

/** GET /oauth/authorize without following redirects; returns the Location as a URL when there is one. */
async function authorize(lk: Latchkey, params: Record<string, string>, cookie = '') {
  const response = await fetch(`${lk.issuer}/oauth/authorize?${new URLSearchParams(params)}`, {
    redirect: 'manual',
    headers: { cookie },
  });
  const location = response.headers.get('location');
  return { response, location: location ? new URL(location, lk.issuer) : undefined };
}

describe('authorization endpoint (RFC 6749 §4.1.1, §4.1.2.1; RFC 7636; RFC 9207)', () => {
  let lk: Latchkey;
  let confidential: TestClient;
  let publicClient: TestClient;
  const { challenge } = pkcePair();
  const base = () => ({
    response_type: 'code',
    client_id: confidential.clientId,
    redirect_uri: cb,
    state: 'a b&c=d/é',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });

  beforeAll(async () => {
    lk = await startLatchkey();
    confidential = await lk.createClient({ redirectUris: [cb], scopes: ['profile:read', 'invoices:read'] });
    publicClient = await lk.createClient({ redirectUris: [cb], public: true });
  });
  afterAll(() => lk.close());

  const expectRedirectError = (
    location: URL | undefined,
    error: string,
    state: string | null = 'a b&c=d/é',
  ) => {
    expect(location).toBeDefined();
    expect(`${location!.origin}${location!.pathname}`).toBe(cb);
    expect(location!.searchParams.get('error')).toBe(error);
    expect(location!.searchParams.get('error_description')).toBeTruthy();
    expect(location!.searchParams.get('state')).toBe(state);
    expect(location!.searchParams.get('iss')).toBe(lk.issuer);
  };

  it('a valid request sends a person who is not signed in to the sign-in page', async () => {
    const { response, location } = await authorize(lk, base());
    expect(response.status).toBe(302);
    expect(location!.pathname).toBe('/login');
    expect(location!.searchParams.get('next')).toMatch(/^\/consent\?request=/);
  });

  it('with one registered URI, redirect_uri may be omitted', async () => {
    const { redirect_uri: _, ...rest } = base();
    const { location } = await authorize(lk, rest);
    expect(location!.pathname).toBe('/login');
  });

  it('missing or unsupported response_type → redirected error', async () => {
    const { response_type: _, ...rest } = base();
    expectRedirectError((await authorize(lk, rest)).location, 'invalid_request');
    expectRedirectError(
      (await authorize(lk, { ...base(), response_type: 'token' })).location,
      'unsupported_response_type',
    );
  });

  it('a scope the client may not request → invalid_scope', async () => {
    expectRedirectError(
      (await authorize(lk, { ...base(), scope: 'payments:read' })).location,
      'invalid_scope',
    );
  });

  it('a repeated parameter → invalid_request (RFC 6749 §3.1)', async () => {
    const q = `${new URLSearchParams(base())}&scope=profile:read&scope=invoices:read`;
    const response = await fetch(`${lk.issuer}/oauth/authorize?${q}`, { redirect: 'manual' });
    expectRedirectError(new URL(response.headers.get('location')!), 'invalid_request');
  });

  it('without state, the error has no state but still iss', async () => {
    const { state: _, ...rest } = base();
    expectRedirectError(
      (await authorize(lk, { ...rest, response_type: 'token' })).location,
      'unsupported_response_type',
      null,
    );
  });

  it('PKCE: plain is refused, a missing method is refused (it would mean plain), a malformed challenge is refused', async () => {
    expectRedirectError(
      (await authorize(lk, { ...base(), code_challenge: 'x'.repeat(43), code_challenge_method: 'plain' }))
        .location,
      'invalid_request',
    );
    const { code_challenge_method: _, ...noMethod } = base();
    expectRedirectError((await authorize(lk, noMethod)).location, 'invalid_request');
    expectRedirectError(
      (await authorize(lk, { ...base(), code_challenge: 'short' })).location,
      'invalid_request',
    );
  });

  it('PKCE is required for public clients and (by default) for confidential ones', async () => {
    const { code_challenge: _a, code_challenge_method: _b, ...noPkce } = base();
    expectRedirectError((await authorize(lk, noPkce)).location, 'invalid_request');
    expectRedirectError(
      (await authorize(lk, { ...noPkce, client_id: publicClient.clientId })).location,
      'invalid_request',
    );
  });

  it('a confidential client registered as legacy (pkceOptional) may skip PKCE', async () => {
    const legacy = await lk.createClient({ redirectUris: [cb] });
    await lk.services.store.clients.update(legacy.clientId, { pkceOptional: true });
    const { code_challenge: _a, code_challenge_method: _b, ...noPkce } = base();
    const { location } = await authorize(lk, { ...noPkce, client_id: legacy.clientId });
    expect(location!.pathname).toBe('/login');
  });

  it('a client without the authorization_code grant → unauthorized_client', async () => {
    const m2m = await lk.createClient({ redirectUris: [cb], grants: ['client_credentials'] });
    expectRedirectError(
      (await authorize(lk, { ...base(), client_id: m2m.clientId })).location,
      'unauthorized_client',
    );
  });

  it('prompt=none without a session → login_required', async () => {
    expectRedirectError((await authorize(lk, { ...base(), prompt: 'none' })).location, 'login_required');
  });

  it('the code response carries state exactly and iss, and keeps the registered query', async () => {
    const withQuery = 'http://127.0.0.1:9999/callback?tenant=a%20b';
    const client = await lk.createClient({ redirectUris: [withQuery] });
    const u = await lk.createUser();
    const person = new Person(lk, u.email, u.password);
    await person.signIn();
    const state = 'ünïcode & spaces = /?#';
    const { url, code } = await obtainCode(person, { client, redirectUri: withQuery, state });
    expect(url.toString().startsWith(`${withQuery}&code=`)).toBe(true);
    expect(url.searchParams.get('tenant')).toBe('a b');
    expect(url.searchParams.get('state')).toBe(state);
    expect(url.searchParams.get('iss')).toBe(lk.issuer);
    // A time stamp (12 hex digits) and 256 random bits (src/crypto.ts `stampedToken`).
    expect(code).toMatch(/^[0-9a-f]{12}[A-Za-z0-9_-]{43}$/);
  });
});

describe('LATCHKEY_REQUIRE_PKCE=false', () => {
  let lk: Latchkey;
  beforeAll(async () => {
    lk = await startLatchkey({ env: { LATCHKEY_REQUIRE_PKCE: 'false' } });
  });
  afterAll(() => lk.close());

  it('confidential clients may skip PKCE; public clients still may not', async () => {
    const confidential = await lk.createClient({ redirectUris: [cb] });
    const pub = await lk.createClient({ redirectUris: [cb], public: true });
    const params = { response_type: 'code', redirect_uri: cb, state: 's' };
    expect((await authorize(lk, { ...params, client_id: confidential.clientId })).location!.pathname).toBe(
      '/login',
    );
    const refused = (await authorize(lk, { ...params, client_id: pub.clientId })).location!;
    expect(refused.searchParams.get('error')).toBe('invalid_request');

    // And the code it gets works without a verifier (no downgrade: no challenge was sent).
    const u = await lk.createUser();
    const person = new Person(lk, u.email, u.password);
    await person.signIn();
    const { code } = await obtainCode(person, { client: confidential, redirectUri: cb, pkce: false });
    const t = await tokenRequest(lk, confidential, {
      grant_type: 'authorization_code',
      code: code!,
      redirect_uri: cb,
    });
    expect(t.status).toBe(200);
  });
});
