import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCredentials } from '../../src/oauth/client-registration.ts';
import { CredentialsError } from '../../src/oauth/client-rules.ts';
import { type Latchkey, requestToken, startLatchkey, type TestClient } from '../helpers/latchkey.ts';

// DESIGN.md "Introspection": an access token is described to its own client and to clients holding
// `latchkey:introspect` (granted from the CLI only); anyone else gets {"active": false}.
let lk: Latchkey;
let integrator: TestClient;
let stranger: TestClient;

const introspect = async (caller: TestClient, token: string) => {
  const res = await fetch(`${lk.issuer}/oauth/introspect`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, client_id: caller.clientId, client_secret: caller.clientSecret }),
  });
  expect(res.status).toBe(200);
  return res.json();
};
const newToken = async (c: TestClient): Promise<string> =>
  (await (await requestToken(lk.issuer, c)).json()).access_token;

beforeAll(async () => {
  // The operator's catalog even lists the reserved scope: it still must not reach the console or consent.
  const scopes = JSON.stringify({ 'invoices:read': 'Read invoices', 'latchkey:introspect': 'Introspect' });
  lk = await startLatchkey({ env: { LATCHKEY_SCOPES: scopes } });
  integrator = await lk.createClient({ name: 'Accounting suite', scopes: ['invoices:read'] });
  stranger = await lk.createClient({ name: 'Another integrator', scopes: ['invoices:read'] });
});
afterAll(() => lk.close());

describe('who may introspect an access token', () => {
  it("another integrator learns nothing about a client's token", async () => {
    expect(await introspect(stranger, await newToken(integrator))).toEqual({ active: false });
  });

  it('the client the token was issued to gets the description', async () => {
    expect(await introspect(integrator, await newToken(integrator))).toMatchObject({
      active: true,
      client_id: integrator.clientId,
      org_id: integrator.orgId,
    });
  });

  it('a resource server given latchkey:introspect by `latchkey client create --scope` gets it', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        join(import.meta.dirname, '../../bin/latchkey.mjs'),
        ...['client', 'create', '--org', lk.orgId, '--name', 'Platform API', '--grant', 'client_credentials'],
        ...['--scope', 'latchkey:introspect', '--json'],
      ],
      {
        env: {
          ...process.env,
          LATCHKEY_DATABASE: lk.services.config.database,
          LATCHKEY_ENVIRONMENT: lk.services.config.environment,
          LATCHKEY_LOG_LEVEL: 'silent',
        },
      },
    );
    const created = JSON.parse(stdout);
    const api = { clientId: created.client_id, clientSecret: created.client_secret, orgId: lk.orgId };
    expect(await introspect(api, await newToken(integrator))).toMatchObject({
      active: true,
      client_id: integrator.clientId,
      sub: integrator.clientId,
    });
    // The scope is a power at Latchkey, not something the API token carries.
    const claims = JSON.parse(Buffer.from((await newToken(api)).split('.')[1]!, 'base64url').toString());
    expect(claims.scope).not.toContain('latchkey:introspect');
  });
});

describe('latchkey:introspect is granted from the CLI only', () => {
  it('credentials made as the console makes them never hold it, even when the catalog lists it', async () => {
    const { client } = await createCredentials(
      { orgId: lk.orgId, name: 'From the console', redirectUris: ['https://app.example/cb'], actor: 'u1' },
      lk.services,
    );
    // The whole catalog but the CLI-only scopes: the OpenID Connect ones are always in it.
    expect(client.scopes).toEqual(['openid', 'profile', 'email', 'invoices:read']);
    await expect(
      createCredentials(
        { orgId: lk.orgId, name: 'Asks for it', scopes: ['latchkey:introspect'], actor: 'u1' },
        lk.services,
      ),
    ).rejects.toThrow(CredentialsError);
  });

  it('consent and tokens never carry it, even for a client that holds it', async () => {
    const api = await lk.createClient({ scopes: ['invoices:read', 'latchkey:introspect'] });
    const res = await requestToken(lk.issuer, api, { body: { scope: 'latchkey:introspect' } });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toBe('invalid_scope');
    const authorize = new URL(`${lk.issuer}/oauth/authorize`);
    authorize.search = new URLSearchParams({
      response_type: 'code',
      client_id: api.clientId,
      redirect_uri: 'http://127.0.0.1:9999/callback',
      scope: 'latchkey:introspect',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      state: 's',
    }).toString();
    const answer = await fetch(authorize, { redirect: 'manual' });
    expect(new URL(answer.headers.get('location')!).searchParams.get('error')).toBe('invalid_scope');
  });
});
