import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { type Latchkey, startLatchkey } from '../helpers/latchkey.ts';
import { discover, insecure, json, post, register, signedInPerson } from '../helpers/oauth-clients.ts';
import { obtainCode, pkcePair } from '../helpers/oauth-flow.ts';

// RFC 8707 resource indicators and RFC 9728 protected resource metadata.
const billing = 'https://billing.example/api';
const payments = 'https://payments.example';
let lk: Latchkey;
let as: oauth.AuthorizationServer;

beforeAll(async () => {
  lk = await startLatchkey({
    env: {
      LATCHKEY_RESOURCES: JSON.stringify({
        [billing]: { scopes: ['invoices:read', 'invoices:write'] },
        [payments]: { scopes: ['payments:read'] },
      }),
    },
  });
  as = await discover(lk);
});
afterAll(() => lk.close());

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString());

describe('resource indicators (RFC 8707)', () => {
  it('client_credentials with resource: aud is the resource, scopes are the resource’s (oauth4webapi)', async () => {
    const registered = await register(lk);
    const client = { client_id: registered.clientId };
    const response = await oauth.clientCredentialsGrantRequest(
      as,
      client,
      oauth.ClientSecretBasic(registered.clientSecret),
      { resource: billing },
      insecure,
    );
    const tokens = await oauth.processClientCredentialsResponse(as, client, response);
    expect(tokens.scope).toBe('invoices:read invoices:write');
    expect(claimsOf(tokens.access_token).aud).toBe(billing);

    // A scope the resource does not take is refused.
    const wrong = await post(lk, '/oauth/token', {
      grant_type: 'client_credentials',
      client_id: registered.clientId,
      client_secret: registered.clientSecret,
      resource: billing,
      scope: 'payments:read',
    });
    expect(await json(wrong)).toMatchObject({ error: 'invalid_scope' });

    // Introspection still knows the token: it is one of ours.
    const introspected = await post(
      lk,
      '/oauth/introspect',
      { token: tokens.access_token },
      {
        authorization: `Basic ${Buffer.from(`${registered.clientId}:${registered.clientSecret}`).toString('base64')}`,
      },
    );
    expect(await json(introspected)).toMatchObject({ active: true, aud: billing });
  });

  it('refuses an unknown resource with invalid_target', async () => {
    const registered = await register(lk);
    const r = await post(lk, '/oauth/token', {
      grant_type: 'client_credentials',
      client_id: registered.clientId,
      client_secret: registered.clientSecret,
      resource: 'https://unknown.example/',
    });
    expect(r.status).toBe(400);
    expect(await json(r)).toMatchObject({ error: 'invalid_target' });
  });

  it('resource at authorize sets aud of the code’s tokens; another resource at the token endpoint is refused', async () => {
    const registered = await register(lk);
    const person = await signedInPerson(lk);
    const pkce = pkcePair();
    const first = await obtainCode(person, {
      client: registered,
      pkce: false,
      extra: { resource: payments, code_challenge: pkce.challenge, code_challenge_method: 'S256' },
    });
    expect(first.url.searchParams.get('scope')).toBeNull();
    const basic = {
      authorization: `Basic ${Buffer.from(`${registered.clientId}:${registered.clientSecret}`).toString('base64')}`,
    };
    const wrong = await post(
      lk,
      '/oauth/token',
      {
        grant_type: 'authorization_code',
        code: first.code!,
        code_verifier: pkce.verifier,
        resource: billing,
      },
      basic,
    );
    expect(await json(wrong)).toMatchObject({ error: 'invalid_target' });

    const pkce2 = pkcePair();
    const second = await obtainCode(person, {
      client: registered,
      pkce: false,
      extra: { resource: payments, code_challenge: pkce2.challenge, code_challenge_method: 'S256' },
    });
    const ok = await json(
      await post(
        lk,
        '/oauth/token',
        { grant_type: 'authorization_code', code: second.code!, code_verifier: pkce2.verifier },
        basic,
      ),
    );
    expect(ok.scope).toBe('payments:read');
    expect(claimsOf(ok.access_token as string).aud).toBe(payments);

    // The refresh token keeps the resource.
    const refreshed = await json(
      await post(
        lk,
        '/oauth/token',
        { grant_type: 'refresh_token', refresh_token: ok.refresh_token as string },
        basic,
      ),
    );
    expect(claimsOf(refreshed.access_token as string).aud).toBe(payments);

    // The demo API is another resource: it refuses the token.
    const me = await fetch(`${lk.issuer}/api/v1/me`, {
      headers: { authorization: `Bearer ${refreshed.access_token}` },
    });
    expect(me.status).toBe(401);
    expect(me.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('an unknown resource at authorize is redirected as invalid_target', async () => {
    const registered = await register(lk);
    const person = await signedInPerson(lk);
    const { url } = await obtainCode(person, {
      client: registered,
      extra: { resource: 'https://nope.example' },
    });
    expect(url.searchParams.get('error')).toBe('invalid_target');
  });

  it('stops the start when a resource lists a scope outside the catalog', () => {
    expect(() =>
      loadConfig({ LATCHKEY_RESOURCES: JSON.stringify({ [billing]: { scopes: ['nope'] } }) }),
    ).toThrow(/^LATCHKEY_RESOURCES: .*"nope"/);
    expect(() => loadConfig({ LATCHKEY_RESOURCES: '{"not a url": {"scopes": []}}' })).toThrow(
      /^LATCHKEY_RESOURCES/,
    );
  });
});

describe('protected resource metadata (RFC 9728)', () => {
  it('publishes the demo API’s metadata and names it in 401s', async () => {
    const r = await fetch(`${lk.issuer}/.well-known/oauth-protected-resource`);
    expect(await r.json()).toMatchObject({
      resource: lk.issuer,
      authorization_servers: [lk.issuer],
      bearer_methods_supported: ['header'],
    });
    const me = await fetch(`${lk.issuer}/api/v1/me`);
    expect(me.status).toBe(401);
    expect(me.headers.get('www-authenticate')).toContain(
      `resource_metadata="${lk.issuer}/.well-known/oauth-protected-resource"`,
    );
  });

  it('oauth4webapi reads the metadata the 401 points to', async () => {
    const response = await oauth.resourceDiscoveryRequest(new URL(lk.issuer), insecure);
    const metadata = await oauth.processResourceDiscoveryResponse(new URL(lk.issuer), response);
    expect(metadata.authorization_servers).toEqual([lk.issuer]);
  });
});
