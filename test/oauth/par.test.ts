import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Latchkey, startLatchkey, testClock } from '../helpers/latchkey.ts';
import {
  discover,
  insecure,
  json,
  post,
  redirectUri,
  register,
  signedInPerson,
} from '../helpers/oauth-clients.ts';
import { obtainCode } from '../helpers/oauth-flow.ts';

// RFC 9126 end to end: oauth4webapi pushes the request, a person approves it, the code is redeemed.
const clock = testClock(Date.now());
let lk: Latchkey;
let as: oauth.AuthorizationServer;

beforeAll(async () => {
  lk = await startLatchkey({ clock });
  as = await discover(lk);
});
afterAll(() => lk.close());

async function push(
  client: { clientId: string; clientSecret: string },
  params: Record<string, string>,
): Promise<Response> {
  return oauth.pushedAuthorizationRequest(
    as,
    { client_id: client.clientId },
    oauth.ClientSecretPost(client.clientSecret),
    params,
    insecure,
  );
}

describe('pushed authorization requests (RFC 9126)', () => {
  it('advertises the endpoint', () => {
    expect(as.pushed_authorization_request_endpoint).toBe(`${lk.issuer}/oauth/par`);
    expect(as.require_pushed_authorization_requests).toBe(false);
  });

  it('pushes, authorizes with request_uri, and redeems the code (oauth4webapi)', async () => {
    const registered = await register(lk, { requirePar: true, scopes: ['invoices:read'] });
    const client = { client_id: registered.clientId };
    const verifier = oauth.generateRandomCodeVerifier();
    const response = await push(registered, {
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: 'invoices:read',
      state: 'pushed-state',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    expect(response.status).toBe(201);
    const pushed = await oauth.processPushedAuthorizationResponse(as, client, response);
    expect(pushed.request_uri).toMatch(/^urn:ietf:params:oauth:request_uri:[A-Za-z0-9_-]{40,}$/);
    expect(pushed.expires_in).toBe(60);

    const person = await signedInPerson(lk);
    const { url } = await obtainCode(person, {
      client: { ...registered },
      pkce: false,
      // §4: only client_id and request_uri count; what obtainCode adds is ignored.
      extra: { request_uri: pushed.request_uri },
    });
    expect(url.searchParams.get('state')).toBe('pushed-state');
    const params = oauth.validateAuthResponse(as, client, url, 'pushed-state');
    const tokens = await oauth.processAuthorizationCodeResponse(
      as,
      client,
      await oauth.authorizationCodeGrantRequest(
        as,
        client,
        oauth.ClientSecretPost(registered.clientSecret),
        params,
        redirectUri,
        verifier,
        insecure,
      ),
    );
    expect(tokens.scope).toBe('invoices:read');

    // Single use: the same request_uri again is a page, never a redirect.
    const again = await person.get(
      `/oauth/authorize?${new URLSearchParams({ client_id: registered.clientId, request_uri: pushed.request_uri })}`,
    );
    expect(again.status).toBe(400);
    expect(await again.text()).toContain('expired');
  });

  it('refuses a request_uri after 60 s, and one pushed by another client', async () => {
    const a = await register(lk);
    const b = await register(lk);
    const params = {
      response_type: 'code',
      redirect_uri: redirectUri,
      code_challenge: 'x'.repeat(43),
      code_challenge_method: 'S256',
    };
    const first = (await json(await push(a, params))).request_uri as string;
    const person = await signedInPerson(lk);
    const other = await person.get(
      `/oauth/authorize?${new URLSearchParams({ client_id: b.clientId, request_uri: first })}`,
    );
    expect(other.status).toBe(400);
    expect(other.headers.get('location')).toBeNull();

    const second = (await json(await push(a, params))).request_uri as string;
    clock.advance(61_000);
    const late = await person.get(
      `/oauth/authorize?${new URLSearchParams({ client_id: a.clientId, request_uri: second })}`,
    );
    expect(late.status).toBe(400);
    expect(late.headers.get('location')).toBeNull();
  });

  it('refuses a direct authorization request from a client that must use PAR', async () => {
    const registered = await register(lk, { requirePar: true });
    const person = await signedInPerson(lk);
    const r = await person.get(
      `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: registered.clientId, redirect_uri: redirectUri, state: 's', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' })}`,
    );
    expect(r.status).toBe(302);
    const location = new URL(r.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toContain('/oauth/par');
  });

  it('answers problems at PAR as RFC 6749 §5.2 JSON', async () => {
    const registered = await register(lk);
    const auth = { client_id: registered.clientId, client_secret: registered.clientSecret };
    const unregistered = await post(lk, '/oauth/par', {
      ...auth,
      response_type: 'code',
      redirect_uri: 'https://evil.example/cb',
    });
    expect(unregistered.status).toBe(400);
    expect(await json(unregistered)).toMatchObject({ error: 'invalid_request' });

    const noPkce = await post(lk, '/oauth/par', { ...auth, response_type: 'code' });
    expect(await json(noPkce)).toMatchObject({
      error: 'invalid_request',
      error_description: expect.stringContaining('PKCE'),
    });

    const badScope = await post(lk, '/oauth/par', {
      ...auth,
      response_type: 'code',
      scope: 'nope',
      code_challenge: 'x'.repeat(43),
      code_challenge_method: 'S256',
    });
    expect(await json(badScope)).toMatchObject({ error: 'invalid_scope' });

    const nested = await post(lk, '/oauth/par', { ...auth, request_uri: 'urn:x' });
    expect(await json(nested)).toMatchObject({ error: 'invalid_request' });

    const unauthenticated = await post(lk, '/oauth/par', {
      client_id: registered.clientId,
      response_type: 'code',
    });
    expect(unauthenticated.status).toBe(401);
    expect(await json(unauthenticated)).toMatchObject({ error: 'invalid_client' });
  });

  it('stores only the hash of the request_uri', async () => {
    const registered = await register(lk);
    const r = await push(registered, {
      response_type: 'code',
      code_challenge: 'x'.repeat(43),
      code_challenge_method: 'S256',
    });
    const uri = (await json(r)).request_uri as string;
    const rows = await lk.services.store.rows('pushed_requests');
    expect(JSON.stringify(rows)).not.toContain(uri.split(':').pop());
    expect(JSON.stringify(rows)).not.toContain(registered.clientSecret);
  });
});
