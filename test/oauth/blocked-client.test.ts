import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockClient } from '../../src/oauth/client-blocking.ts';
import { callbackUri as cb, redeem } from '../helpers/connections.ts';
import {
  type Latchkey,
  requestToken,
  startLatchkey,
  type TestClient,
  testClock,
} from '../helpers/latchkey.ts';
import { post, register } from '../helpers/oauth-clients.ts';
import {
  codeRequestParams,
  consentForm,
  introspect,
  newSignedInPerson,
  obtainCode,
  tokenRequest,
} from '../helpers/oauth-flow.ts';
import { createOwnerlessClient } from '../helpers/ownerless-clients.ts';
import { startLatchkeyOnPostgres } from '../helpers/postgres.ts';
import { secret, startReceiver } from '../helpers/webhook-receiver.ts';

// DESIGN.md "Software that registers itself": a client the operator blocks gets invalid_client
// everywhere, and what it held stops working: on SQLite and on PostgreSQL alike.
type Json = Record<string, unknown>;
type Start = typeof startLatchkey;

describe.each([
  ['SQLite', startLatchkey],
  ['PostgreSQL', startLatchkeyOnPostgres as Start],
])('a blocked client on %s', (_database, start) => {
  // Real time: webhook receivers check webhook-timestamp, oauth4webapi-free assertions use it too.
  const clock = testClock(Date.now());
  let lk: Latchkey;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let resourceServer: TestClient;
  let admin: { clientId: string; token: string };
  let otherOrg: string;

  beforeAll(async () => {
    receiver = await startReceiver();
    lk = await start({
      clock,
      env: {
        LATCHKEY_WEBHOOK_URL: receiver.url,
        LATCHKEY_WEBHOOK_SECRET: secret,
        LATCHKEY_CLIENT_METADATA_DOCUMENTS: 'true',
      },
    });
    await lk.server.app.webhooks!.stop();
    otherOrg = await lk.createOrganization('Second GmbH');
    resourceServer = await lk.createClient({
      name: 'Invoices API',
      grants: ['client_credentials'],
      scopes: ['latchkey:introspect'],
      redirectUris: [],
    });
    const adminClient = await lk.createClient({
      grants: ['client_credentials'],
      scopes: ['latchkey:admin'],
      redirectUris: [],
    });
    const body = (await (await requestToken(lk.issuer, adminClient)).json()) as Json;
    admin = { clientId: adminClient.clientId, token: String(body.access_token) };
  }, 60_000);
  afterAll(async () => {
    await lk?.close();
    await receiver?.close();
  });

  const blockThroughAdminApi = async (clientId: string) => {
    const r = await fetch(`${lk.issuer}/admin/v1/clients/${encodeURIComponent(clientId)}/block`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin.token}` },
    });
    expect(r.status).toBe(200);
    return (await r.json()) as Json;
  };
  /** A person in both organizations, signed in. */
  const person = async () => (await newSignedInPerson(lk, [otherOrg])).person;
  const activeFor = async (token: string) => (await introspect(lk, resourceServer, token)).active;
  const me = (token: string) =>
    fetch(`${lk.issuer}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
  /** Delivers what the outbox holds; the events of `type` received so far, signatures verified. */
  const delivered = async (type: string) => {
    while ((await lk.server.app.webhooks!.runOnce()) > 0);
    const wh = new Webhook(secret);
    return receiver.received
      .map((r) => wh.verify(r.body, r.headers as Record<string, string>) as { type: string; data: Json })
      .filter((e) => e.type === type);
  };
  const expectInvalidClient = (r: { status: number; body: Json }, what: string) => {
    expect(r.status, what).toBe(401);
    expect(r.body.error, what).toBe('invalid_client');
  };
  const form = async (path: string, params: Record<string, string>, headers: Record<string, string> = {}) => {
    const r = await post(lk, path, params, headers);
    const text = await r.text();
    return { status: r.status, body: (text ? JSON.parse(text) : {}) as Json, headers: r.headers };
  };

  it('software of no organization: invalid_client at every endpoint, its grants and tokens ended, one audit event and webhook', async () => {
    const p = await person();
    const agent = await createOwnerlessClient(lk, { name: 'Night Agent', origin: 'dynamic', public: false });
    const desk = await createOwnerlessClient(lk, { name: 'Desk Agent', origin: 'metadata_document' });
    // Connected in the organization the person picked, the second one.
    const first = await obtainCode(p, { client: agent, redirectUri: cb, org: otherOrg });
    const connected = await redeem(lk, agent, first.code!, first.verifier);
    expect(connected.orgId).toBe(otherOrg);
    const unredeemed = await obtainCode(p, { client: agent, redirectUri: cb, org: otherOrg });
    const deskCode = await obtainCode(p, { client: desk, redirectUri: cb, org: lk.orgId });
    const deskConnection = await redeem(lk, desk, deskCode.code!, deskCode.verifier);
    expect(await introspect(lk, agent, connected.accessToken)).toMatchObject({
      active: true,
      org_id: otherOrg,
    });
    expect((await me(connected.accessToken)).status).toBe(200);

    const shown = await blockThroughAdminApi(agent.clientId);
    expect(shown).toMatchObject({ client_id: agent.clientId, organization_id: null, origin: 'dynamic' });
    expect(shown.blocked_at).toBe(new Date(clock()).toISOString());
    await blockThroughAdminApi(desk.clientId);

    // The token endpoint, every grant and every way of authenticating.
    const basic = `Basic ${Buffer.from(`${agent.clientId}:${agent.clientSecret}`).toString('base64')}`;
    const refresh = { grant_type: 'refresh_token', refresh_token: connected.refreshToken };
    const exchange = {
      grant_type: 'authorization_code',
      code: unredeemed.code!,
      redirect_uri: cb,
      code_verifier: unredeemed.verifier,
    };
    const withSecret = { client_id: agent.clientId, client_secret: agent.clientSecret };
    const basicRefused = await form('/oauth/token', refresh, { authorization: basic });
    expectInvalidClient(basicRefused, 'refresh, Basic');
    expect(basicRefused.body.error_description).toContain('blocked');
    expect(basicRefused.headers.get('www-authenticate')).toMatch(/^Basic /);
    expectInvalidClient(await form('/oauth/token', exchange, { authorization: basic }), 'code, Basic');
    expectInvalidClient(
      await form('/oauth/token', { ...exchange, ...withSecret }),
      'code, client_secret_post',
    );
    const asJson = await fetch(`${lk.issuer}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...refresh, ...withSecret }),
    });
    expectInvalidClient({ status: asJson.status, body: (await asJson.json()) as Json }, 'refresh, JSON');
    expectInvalidClient(
      await form('/oauth/token', { grant_type: 'client_credentials', ...withSecret }),
      'cc',
    );
    const deskRefresh = { grant_type: 'refresh_token', refresh_token: deskConnection.refreshToken };
    expectInvalidClient(await form('/oauth/token', { ...deskRefresh, client_id: desk.clientId }), 'public');

    // Introspection, revocation and PAR when the caller is the blocked client.
    const token = { token: connected.accessToken };
    expectInvalidClient(await form('/oauth/introspect', token, { authorization: basic }), 'introspect');
    expectInvalidClient(await form('/oauth/revoke', token, { authorization: basic }), 'revoke');
    const pushed = {
      response_type: 'code',
      redirect_uri: cb,
      code_challenge: 'x'.repeat(43),
      code_challenge_method: 'S256',
    };
    expectInvalidClient(await form('/oauth/par', pushed, { authorization: basic }), 'PAR');
    expectInvalidClient(await form('/oauth/par', { ...pushed, client_id: desk.clientId }), 'PAR, public');

    // What it held is dead: refresh tokens, access tokens (introspection and the Bearer check).
    expect(await activeFor(connected.accessToken)).toBe(false);
    expect(await activeFor(connected.refreshToken)).toBe(false);
    expect(await activeFor(deskConnection.accessToken)).toBe(false);
    expect((await me(connected.accessToken)).status).toBe(401);
    expect((await me(deskConnection.accessToken)).status).toBe(401);

    // The authorization endpoint shows a page and never redirects.
    for (const client of [agent, desk]) {
      const page = await p.get(
        `/oauth/authorize?${new URLSearchParams(codeRequestParams(client.clientId, cb))}`,
      );
      expect(page.status).toBe(400);
      expect(page.headers.get('location')).toBeNull();
      const html = await page.text();
      expect(html).toContain('This app has been blocked');
      expect(html).not.toContain('code=');
    }

    // One client.blocked audit event (no organization) and webhook; grant.revoked for each grant.
    const s = lk.services;
    const audit = await s.store.audit.list({ clientId: agent.clientId, actions: ['client.blocked'] });
    expect(audit).toEqual([
      expect.objectContaining({
        orgId: null,
        actor: admin.clientId,
        detail: expect.objectContaining({ grantsRevoked: 2 }),
      }),
    ]);
    const revokedAudit = await s.store.audit.list({
      orgId: otherOrg,
      clientId: agent.clientId,
      actions: ['grant.revoked'],
    });
    expect(revokedAudit.map((e) => e.detail.grantId)).toContain(connected.grantId);
    expect(revokedAudit.every((e) => e.detail.reason === 'the client was blocked')).toBe(true);
    const hooks = (await delivered('client.blocked')).filter((e) => e.data.client_id === agent.clientId);
    expect(hooks).toHaveLength(1);
    expect(hooks[0]!.data).toMatchObject({
      organization_id: null,
      origin: 'dynamic',
      name: 'Night Agent',
      blocked_at: shown.blocked_at,
      grants_revoked: 2,
    });
    const grantHooks = await delivered('grant.revoked');
    expect(grantHooks.map((e) => e.data.id)).toEqual(
      expect.arrayContaining([connected.grantId, deskConnection.grantId]),
    );

    // Blocking again changes nothing and announces nothing.
    clock.advance(1000);
    const again = await blockClient(agent.clientId, 'cli', s);
    expect(again.changed).toBe(false);
    expect(again.client.blockedAt).toBe(Date.parse(String(shown.blocked_at)));
    expect(await s.store.audit.count({ clientId: agent.clientId, actions: ['client.blocked'] })).toBe(1);
    expect(
      (await delivered('client.blocked')).filter((e) => e.data.client_id === agent.clientId),
    ).toHaveLength(1);
  });

  it("console credentials: client_credentials tokens stop verifying, secrets and keys are refused, the organization's audit trail says so", async () => {
    const books = await lk.createClient({ name: 'Books', grants: ['client_credentials'], redirectUris: [] });
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
    const keyed = await register(lk, {
      name: 'Keyed',
      jwks: { keys: [jwk] },

      grantTypes: ['client_credentials'],
      redirectUris: [],
    });
    const assertion = () =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer(keyed.clientId)
        .setSubject(keyed.clientId)
        .setAudience(lk.issuer)
        .setIssuedAt(Math.floor(clock() / 1000))
        .setExpirationTime(Math.floor(clock() / 1000) + 60)
        .setJti(crypto.randomUUID())
        .sign(privateKey);
    const withKey = async () =>
      form('/oauth/token', {
        grant_type: 'client_credentials',
        client_id: keyed.clientId,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: await assertion(),
      });
    const issued = (await (await requestToken(lk.issuer, books)).json()) as Json;
    const accessToken = String(issued.access_token);
    expect((await withKey()).status).toBe(200);
    expect(await activeFor(accessToken)).toBe(true);
    expect((await me(accessToken)).status).toBe(200);

    await blockThroughAdminApi(books.clientId);
    await blockThroughAdminApi(keyed.clientId);

    for (const auth of ['basic', 'post', 'json'] as const) {
      const r = await requestToken(lk.issuer, books, { auth });
      expectInvalidClient({ status: r.status, body: (await r.json()) as Json }, auth);
    }
    expectInvalidClient(await withKey(), 'private_key_jwt');
    expect(await activeFor(accessToken)).toBe(false);
    expect((await me(accessToken)).status).toBe(401);
    expect(await tokenRequest(lk, books, { grant_type: 'client_credentials' })).toMatchObject({
      status: 401,
    });
    const audit = await lk.services.store.audit.list({
      clientId: books.clientId,
      actions: ['client.blocked'],
    });
    expect(audit).toEqual([expect.objectContaining({ orgId: lk.orgId, actor: admin.clientId })]);
  });

  it('a person on the consent page when the block lands: a page, no code, no redirect', async () => {
    const p = await person();
    const agent = await createOwnerlessClient(lk, { name: 'Slow Agent' });
    const consent = await p.authorize(codeRequestParams(agent.clientId, cb));
    expect(consent.status).toBe(200);
    const html = await consent.text();
    await blockClient(agent.clientId, 'cli', lk.services);
    const answer = await p.post('/consent', consentForm(html, lk.orgId));
    expect(answer.status).toBe(400);
    expect(answer.headers.get('location')).toBeNull();
    expect(await answer.text()).toContain('This app has been blocked');
    const codes = (await lk.services.store.rows('authorization_codes')).filter(
      (r) => r.client_id === agent.clientId,
    );
    expect(codes).toEqual([]);
  });
});
