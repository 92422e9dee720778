import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  asTestClient,
  initialAccessToken,
  publicClientMetadata,
  register,
  registrationRequest,
} from '../helpers/dynamic-registration.ts';
import { type Latchkey, requestToken, startLatchkey } from '../helpers/latchkey.ts';
import { obtainCode, Person, tokenRequest } from '../helpers/oauth-flow.ts';
import { startLatchkeyOnPostgres } from '../helpers/postgres.ts';

// Software that registered itself then does what any client does: the authorization code flow with
// PKCE (public), or with its secret over HTTP Basic (confidential). The person picks the organization
// at consent, since the client has none. Deleting the registration ends its grants. On SQLite and
// on PostgreSQL.
const callback = 'http://127.0.0.1:9999/callback';

function registeredClientFlows(name: string, start: () => Promise<Latchkey>): void {
  describe(`a registered client's flows on ${name}`, () => {
    let lk: Latchkey;
    let person: Person;
    let token: string;
    beforeAll(async () => {
      lk = await start();
      const user = await lk.createUser();
      person = new Person(lk, user.email, user.password);
      await person.signIn();
      token = await initialAccessToken(lk);
    });
    afterAll(() => lk?.close());

    it('a public client: code + PKCE, tokens for the organization picked at consent, refresh', async () => {
      const r = await register(
        lk,
        { ...publicClientMetadata(callback), scope: 'openid invoices:read' },
        token,
      );
      expect(r.status).toBe(201);
      const client = asTestClient(r.body);
      const { code, verifier, url } = await obtainCode(person, {
        client,
        redirectUri: callback,
        scope: 'openid invoices:read',
      });
      expect(url.searchParams.get('iss')).toBe(lk.issuer);
      const t = await tokenRequest(lk, client, {
        grant_type: 'authorization_code',
        code: code!,
        code_verifier: verifier,
        redirect_uri: callback,
      });
      expect(t.status).toBe(200);
      expect(t.body).toMatchObject({ token_type: 'Bearer', scope: 'openid invoices:read' });
      const me = await fetch(`${lk.issuer}/api/v1/me`, {
        headers: { authorization: `Bearer ${t.body.access_token}` },
      });
      expect(await me.json()).toMatchObject({ client_id: client.clientId, org_id: lk.orgId });
      const refreshed = await tokenRequest(lk, client, {
        grant_type: 'refresh_token',
        refresh_token: String(t.body.refresh_token),
      });
      expect(refreshed.status).toBe(200);

      // Read and replaced with its registration access token: the new name is what consent shows.
      const rat = String(r.body.registration_access_token);
      const read = await registrationRequest(lk, 'GET', `/${client.clientId}`, { token: rat });
      expect(read.body).toMatchObject({ client_name: 'Agent Tool', scope: 'openid invoices:read' });
      const put = await registrationRequest(lk, 'PUT', `/${client.clientId}`, {
        token: rat,
        body: { ...read.body, client_name: 'Agent Tool Pro', logo_uri: 'https://agent.example/logo.png' },
      });
      expect(put.status).toBe(200);
      expect((await lk.services.store.clients.find(client.clientId))!).toMatchObject({
        name: 'Agent Tool Pro',
        softwareMetadata: { logo_uri: 'https://agent.example/logo.png' },
      });

      // Without PKCE it gets nothing: a public client always needs it.
      const noPkce = await obtainCode(person, { client, redirectUri: callback, pkce: false });
      expect(noPkce.url.searchParams.get('error')).toBe('invalid_request');
    });

    it('a confidential client: client_secret_basic; never client_credentials; deleting it ends its grants', async () => {
      const r = await register(
        lk,
        {
          client_name: 'Server App',
          redirect_uris: [callback],
          grant_types: ['authorization_code', 'refresh_token'],
        },
        token,
      );
      const client = asTestClient(r.body);
      expect(client.clientSecret).toMatch(/^lk_test_/);
      const { code, verifier } = await obtainCode(person, { client, redirectUri: callback });
      const t = await tokenRequest(lk, client, {
        grant_type: 'authorization_code',
        code: code!,
        code_verifier: verifier,
        redirect_uri: callback,
      });
      expect(t.status).toBe(200);
      // PKCE even where the operator lets confidential clients skip it (LATCHKEY_REQUIRE_PKCE=false):
      // software that registered itself always sends it, unlike a console client here.
      const noPkce = await obtainCode(person, { client, redirectUri: callback, pkce: false });
      expect(noPkce.url.searchParams.get('error')).toBe('invalid_request');
      const consoleClient = await lk.createClient({ redirectUris: [callback] });
      const legacy = await obtainCode(person, { client: consoleClient, redirectUri: callback, pkce: false });
      expect(legacy.code).toBeDefined();
      const cc = await requestToken(lk.issuer, client, { auth: 'basic' });
      expect(cc.status).toBe(400);
      expect((await cc.json()).error).toBe('unauthorized_client');

      const gone = await registrationRequest(lk, 'DELETE', `/${client.clientId}`, {
        token: String(r.body.registration_access_token),
      });
      expect(gone.status).toBe(204);
      const refresh = await tokenRequest(lk, client, {
        grant_type: 'refresh_token',
        refresh_token: String(t.body.refresh_token),
      });
      expect(refresh.status).toBe(401);
      expect(refresh.body.error).toBe('invalid_client');
      const me = await fetch(`${lk.issuer}/api/v1/me`, {
        headers: { authorization: `Bearer ${t.body.access_token}` },
      });
      expect(me.status).toBe(401);
      const grants = await lk.services.store.rows('grants');
      expect(grants.filter((g) => g.client_id === client.clientId)).toEqual([]);
    });
  });
}

const env = { LATCHKEY_DYNAMIC_REGISTRATION: 'token', LATCHKEY_REQUIRE_PKCE: 'false' };
registeredClientFlows('SQLite', () => startLatchkey({ env }));
registeredClientFlows('PostgreSQL', () => startLatchkeyOnPostgres({ env }));
