import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Session, secretFrom, signInHttp, tokenRequest } from '../helpers/console-session.ts';
import { type Latchkey, startLatchkey, type TestClient, testClock } from '../helpers/latchkey.ts';

/**
 * Credentials holding a reserved `latchkey:*` scope (made with the CLI) belong to an organization but
 * are not its to manage: its admins and developers see them read-only, and the routes refuse to
 * rotate, edit or delete them, whatever form is posted. A rotated secret would give them the admin API.
 */
describe('Settings → API: operator-managed credentials', () => {
  const clock = testClock();
  let lk: Latchkey;
  let adminApi: TestClient;
  let introspector: TestClient;
  let ordinary: TestClient;
  const sessions: Record<'admin' | 'developer', Session> = {} as never;

  const onceOf = (html: string) => /name="_once" value="([^"]+)"/.exec(html)?.[1] ?? '';

  beforeAll(async () => {
    lk = await startLatchkey({ clock });
    // As `latchkey client create --scope latchkey:admin` makes them (the helper allows CLI-only scopes).
    adminApi = await lk.createClient({
      name: 'Platform back end',
      grants: ['client_credentials'],
      scopes: ['latchkey:admin'],
    });
    introspector = await lk.createClient({
      name: 'Invoices API',
      grants: ['client_credentials'],
      scopes: ['latchkey:introspect'],
    });
    ordinary = await lk.createClient({ name: 'Ledger Sync', grants: ['client_credentials'] });
    for (const role of ['admin', 'developer'] as const) {
      const person = await lk.createUser({ email: `${role}@operator-managed.example`, role });
      sessions[role] = await signInHttp(lk, person.email, person.password);
    }
  });
  afterAll(() => lk.close());

  it('lists them with a line saying the platform operator manages them, and no other row says so', async () => {
    const page = await sessions.developer.get('/settings/api');
    expect(page.status).toBe(200);
    const row = (id: string) =>
      new RegExp(`<tr[^>]*data-credential="${id}"[\\s\\S]*?</tr>`).exec(page.body)![0];
    expect(row(adminApi.clientId)).toContain('Managed by the platform operator');
    expect(row(introspector.clientId)).toContain('Managed by the platform operator');
    expect(row(ordinary.clientId)).not.toContain('Managed by the platform operator');
  });

  it('shows their page read-only: no rotate, settings or delete form, and says who manages them', async () => {
    for (const session of Object.values(sessions)) {
      const page = await session.get(`/settings/api/${adminApi.clientId}`);
      expect(page.status).toBe(200);
      expect(page.body).toContain('Managed by the platform operator.');
      expect(page.body).toContain('latchkey</code> command line or the admin API');
      expect(page.body).not.toContain('/rotate"');
      expect(page.body).not.toContain('name="overlap"');
      expect(page.body).not.toContain('data-credentials-form');
      expect(page.body).not.toContain('/delete"');
      expect(page.body).not.toContain('Rotate the secret');
      expect(page.body).toContain('<code>latchkey:admin</code>');
      // An ordinary credential's page keeps all three forms.
      const other = await session.get(`/settings/api/${ordinary.clientId}`);
      expect(other.body).toContain(`/settings/api/${ordinary.clientId}/rotate"`);
      expect(other.body).toContain('data-credentials-form');
      expect(other.body).toContain(`/settings/api/${ordinary.clientId}/delete"`);
    }
  });

  it('refuses rotate, edit and delete at the route with a 403 page, for admins and developers alike', async () => {
    for (const client of [adminApi, introspector]) {
      const before = await lk.services.store.clients.find(client.clientId);
      const secretsBefore = await lk.services.store.clients.secrets(client.clientId);
      for (const session of Object.values(sessions)) {
        // Forms as the ordinary credential's page has them: CSRF-valid, with a fresh one-time token.
        const page = await session.get(`/settings/api/${ordinary.clientId}`);
        const path = `/settings/api/${client.clientId}`;
        const rotated = await session.post(`${path}/rotate`, {
          _csrf: session.csrf,
          overlap: 'immediately',
          _once: onceOf(page.body),
        });
        expect(rotated.status).toBe(403);
        expect(rotated.body).toContain('Managed by the platform operator');
        expect(rotated.body).toContain('Nothing was changed.');
        expect(rotated.body).not.toContain('lk-created-client-secret');
        const edited = await session.post(path, {
          _csrf: session.csrf,
          name: 'Renamed',
          redirect_uri: 'https://evil.example/cb',
          grant: ['authorization_code', 'client_credentials'],
          _action: 'save',
        });
        expect(edited.status).toBe(403);
        expect(edited.body).toContain('Managed by the platform operator');
        const rows = await session.post(path, { _csrf: session.csrf, name: 'x', _action: 'add-row' });
        expect(rows.status).toBe(403);
        const deleted = await session.post(`${path}/delete`, {
          _csrf: session.csrf,
          confirm_name: before!.name,
        });
        expect(deleted.status).toBe(403);
        expect(deleted.body).toContain('Managed by the platform operator');
      }
      // Nothing changed: same row, same secrets, and the original secret still works.
      expect(await lk.services.store.clients.find(client.clientId)).toEqual(before);
      expect(await lk.services.store.clients.secrets(client.clientId)).toEqual(secretsBefore);
      expect((await tokenRequest(lk, client.clientId, client.clientSecret)).status).toBe(200);
    }
    const audit = await lk.services.store.audit.list({ clientId: adminApi.clientId });
    expect(audit.map((e) => e.action)).toEqual(['client.created']);
  });

  it('still rotates ordinary credentials with the same form (the refusal is not the CSRF check)', async () => {
    const session = sessions.developer;
    const page = await session.get(`/settings/api/${ordinary.clientId}`);
    const rotated = await session.post(`/settings/api/${ordinary.clientId}/rotate`, {
      _csrf: session.csrf,
      overlap: 'immediately',
      _once: onceOf(page.body),
    });
    expect(rotated.status).toBe(200);
    const { clientSecret } = secretFrom(rotated.body);
    expect((await tokenRequest(lk, ordinary.clientId, clientSecret)).status).toBe(200);
  });
});
