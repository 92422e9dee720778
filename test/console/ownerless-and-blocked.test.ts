import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockClient } from '../../src/oauth/client-blocking.ts';
import { callbackUri as cb, redeem, state } from '../helpers/connections.ts';
import { signInHttp } from '../helpers/console-session.ts';
import { type Latchkey, startLatchkey, type TestClient } from '../helpers/latchkey.ts';
import { introspect, obtainCode, Person } from '../helpers/oauth-flow.ts';
import { createOwnerlessClient } from '../helpers/ownerless-clients.ts';
import { startLatchkeyOnPostgres } from '../helpers/postgres.ts';
import { hiddenField } from '../helpers/web.ts';

// Connected apps list software of no organization with the same "not verified" mark as consent, and
// revoking it there ends its grants; credentials the operator blocked show as blocked.

const row = (html: string, name: string) => {
  const at = html.indexOf(name);
  expect(at).toBeGreaterThan(0);
  return html.slice(html.lastIndexOf('<tr', at), html.indexOf('</tr>', at));
};

describe.each([
  ['SQLite', startLatchkey],
  ['PostgreSQL', startLatchkeyOnPostgres as typeof startLatchkey],
])('on %s', (_database, start) => {
  let lk: Latchkey;
  let resourceServer: TestClient;

  beforeAll(async () => {
    lk = await start();
    resourceServer = await lk.createClient({
      grants: ['client_credentials'],
      scopes: ['latchkey:introspect'],
      redirectUris: [],
    });
  }, 60_000);
  afterAll(() => lk?.close());

  describe('connected apps', () => {
    it('lists software of no organization as not verified; revoking ends its refresh and access tokens', async () => {
      const agent = await createOwnerlessClient(lk, {
        name: 'Helpful Agent',
        origin: 'dynamic',
        public: false,
      });
      const console = await lk.createClient({ name: 'Ledger Sync', redirectUris: [cb] });
      const u = await lk.createUser();
      const person = new Person(lk, u.email, u.password);
      await person.signIn();
      const got = await obtainCode(person, { client: agent, redirectUri: cb });
      const connection = await redeem(lk, agent, got.code!, got.verifier);
      const other = await obtainCode(person, { client: console, redirectUri: cb });
      const kept = await redeem(lk, console, other.code!, other.verifier);

      const page = await person.get('/settings/connected-apps');
      const html = await page.text();
      const agentRow = row(html, 'Helpful Agent');
      expect(agentRow).toContain('“Helpful Agent”');
      expect(agentRow).toContain('data-unverified');
      expect(agentRow).toContain('Not verified');
      expect(agentRow).toContain('the name is what it calls itself');
      expect(agentRow).toContain(`Client ID <span class="code">${agent.clientId}</span>`);
      expect(row(html, 'Ledger Sync')).not.toContain('data-unverified');

      const revoked = await person.post('/settings/connected-apps/revoke', {
        _csrf: hiddenField(html, '_csrf'),
        client_id: agent.clientId,
        user_id: u.userId,
      });
      expect(revoked.status).toBe(303);
      expect(await (await person.get(revoked.headers.get('location')!)).text()).toContain(
        'Access revoked for Helpful Agent.',
      );
      expect(await state(lk, agent, connection)).toEqual({ active: false, refresh: 'invalid_grant' });
      expect((await introspect(lk, resourceServer, connection.accessToken)).active).toBe(false);
      // The other app is untouched.
      expect((await introspect(lk, resourceServer, kept.accessToken)).active).toBe(true);
      const audit = await lk.services.store.audit.list({
        clientId: agent.clientId,
        actions: ['grant.revoked'],
      });
      expect(audit[0]).toMatchObject({ orgId: lk.orgId, actor: u.userId });
    });
  });

  describe('the credentials console', () => {
    it('shows credentials the operator blocked as blocked, on the list and their page', async () => {
      const books = await lk.createClient({
        name: 'Blocked Books',
        grants: ['client_credentials'],
        redirectUris: [],
      });
      await blockClient(books.clientId, 'cli', lk.services);
      const admin = await lk.createUser({ role: 'admin' });
      const session = await signInHttp(lk, admin.email, admin.password);
      const list = await session.get('/settings/api');
      const listed = row(list.body, 'Blocked Books');
      expect(listed).toContain('data-blocked');
      expect(listed).toContain('Blocked by the platform operator');
      const detail = await session.get(`/settings/api/${books.clientId}`);
      expect(detail.status).toBe(200);
      expect(detail.body).toContain('data-blocked-notice');
      expect(detail.body).toContain('Every request made with these credentials is refused (invalid_client)');
      expect(detail.body).toContain('Blocked by the platform operator; 0 connected apps signed out');
    });

    it('never lists software of no organization among an organization’s credentials', async () => {
      const agent = await createOwnerlessClient(lk, {
        name: 'Stray Agent',
        origin: 'dynamic',
        public: false,
      });
      const admin = await lk.createUser({ role: 'admin' });
      const session = await signInHttp(lk, admin.email, admin.password);
      expect((await session.get('/settings/api')).body).not.toContain('Stray Agent');
      expect((await session.get(`/settings/api/${agent.clientId}`)).status).toBe(404);
    });
  });
});
