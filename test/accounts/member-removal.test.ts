import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Connection,
  callbackUri,
  redeem,
  revokedAudit,
  revokedWebhooks,
  state,
} from '../helpers/connections.ts';
import { type Session, signInHttp } from '../helpers/console-session.ts';
import {
  type Latchkey,
  requestToken,
  startLatchkey,
  type TestClient,
  testClock,
} from '../helpers/latchkey.ts';
import { obtainCode, Person } from '../helpers/oauth-flow.ts';
import { startLatchkeyOnPostgres } from '../helpers/postgres.ts';
import { secret, startReceiver } from '../helpers/webhook-receiver.ts';

/**
 * Taking someone out of an organization ends the apps they connected there, at once: refresh fails
 * (invalid_grant), introspection says inactive, with an audit event and a grant.revoked webhook per
 * grant. What they connected in their other organizations, and what others connected, stays.
 */
describe.each([
  ['SQLite', startLatchkey],
  ['PostgreSQL', startLatchkeyOnPostgres],
] as const)('removing a person ends their connected apps (%s)', (_name, start) => {
  // Receivers check webhook-timestamp against their own clock: start at the real time.
  const clock = testClock(Date.now());
  let lk: Latchkey;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let client: TestClient;
  let otherOrg: string;
  let admin: Session;
  let adminId: string;

  beforeAll(async () => {
    receiver = await startReceiver();
    lk = await start({
      clock,
      env: {
        LATCHKEY_WEBHOOK_URL: receiver.url,
        LATCHKEY_WEBHOOK_SECRET: secret,
        LATCHKEY_TOKEN_RATE_LIMIT: '1000/minute',
      },
    });
    await lk.server.app.webhooks!.stop();
    client = await lk.createClient({ name: 'Ledger Sync', redirectUris: [callbackUri] });
    otherOrg = await lk.createOrganization('Other GmbH');
    const a = await lk.createUser({ email: `admin-${_name}@removal.example`, role: 'admin' });
    adminId = a.userId;
    admin = await signInHttp(lk, a.email, a.password);
  });
  afterAll(async () => {
    await lk?.close();
    await receiver?.close();
  });

  /** A person in the test organization and in Other GmbH, signed in. */
  async function person(email: string): Promise<{ userId: string; p: Person }> {
    const u = await lk.createUser({ email, role: 'member' });
    await lk.services.store.accounts.addMembership(otherOrg, u.userId, 'member');
    const p = new Person(lk, u.email, u.password);
    await p.signIn();
    return { userId: u.userId, p };
  }

  /** The person connects the app to `orgId` (authorize → consent → code → tokens). */
  async function connect(p: Person, orgId: string): Promise<Connection> {
    // prompt=consent: the page again, to pick the organization (consent is remembered otherwise).
    const r = await obtainCode(p, {
      client,
      redirectUri: callbackUri,
      scope: 'profile:read',
      org: orgId,
      extra: { prompt: 'consent' },
    });
    expect(r.code).toBeTruthy();
    const connection = await redeem(lk, client, r.code!, r.verifier);
    expect(connection.orgId).toBe(orgId);
    return connection;
  }

  async function expectEnded(connections: Connection[], kept: Connection[], actor: string, reason: string) {
    for (const c of connections)
      expect(await state(lk, client, c)).toEqual({ active: false, refresh: 'invalid_grant' });
    for (const c of kept) expect(await state(lk, client, c)).toEqual({ active: true, refresh: 'ok' });
    const audit = await revokedAudit(lk, lk.orgId);
    for (const c of connections) expect(audit).toContainEqual({ grantId: c.grantId, actor, reason });
    const hooks = await revokedWebhooks(lk, receiver);
    for (const c of connections) expect(hooks.filter((id) => id === c.grantId)).toHaveLength(1);
    for (const c of kept) expect(hooks).not.toContain(c.grantId);
  }

  it('through the Members page', async () => {
    const leaver = await person(`leaver-${_name}@removal.example`);
    const stayer = await person(`stayer-${_name}@removal.example`);
    // Two grants here (each authorization makes its own), one in the other organization.
    const here = [await connect(leaver.p, lk.orgId), await connect(leaver.p, lk.orgId)];
    const elsewhere = await connect(leaver.p, otherOrg);
    const others = await connect(stayer.p, lk.orgId);
    for (const c of [...here, elsewhere, others]) expect((await state(lk, client, c)).active).toBe(true);

    await admin.get('/settings/members');
    const removed = await admin.post('/settings/members/remove', {
      _csrf: admin.csrf,
      user_id: leaver.userId,
    });
    expect(removed.headers.get('location')).toBe('/settings/members?notice=removed');
    const notice = await admin.get('/settings/members?notice=removed');
    expect(notice.body).toContain('the apps they connected to it are signed out');

    await expectEnded(here, [elsewhere, others], adminId, 'removed from the organization');
  });

  it('through the admin API', async () => {
    const leaver = await person(`api-leaver-${_name}@removal.example`);
    const here = await connect(leaver.p, lk.orgId);
    const elsewhere = await connect(leaver.p, otherOrg);
    const platform = await lk.createClient({ grants: ['client_credentials'], scopes: ['latchkey:admin'] });
    const token = ((await (await requestToken(lk.issuer, platform)).json()) as { access_token: string })
      .access_token;

    const r = await fetch(`${lk.issuer}/admin/v1/organizations/${lk.orgId}/members/${leaver.userId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(r.status).toBe(204);

    await expectEnded([here], [elsewhere], platform.clientId, 'removed through the admin API');
  });
});
