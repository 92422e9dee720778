import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Latchkey, requestToken, startLatchkey } from '../helpers/latchkey.ts';
import { createOwnerlessClient } from '../helpers/ownerless-clients.ts';
import { adminClient } from './openapi-client.ts';

// biome-ignore lint/suspicious/noExplicitAny: answers are checked against the OpenAPI document, then read freely
type Json = Record<string, any>;
let lk: Latchkey;
let api: Awaited<ReturnType<typeof adminClient>>;
let adminClientId: string;
let adminToken: string;

async function tokenFor(scopes: string[]): Promise<{ token: string; clientId: string }> {
  const c = await lk.createClient({ grants: ['client_credentials'], scopes, redirectUris: [] });
  const body = (await (await requestToken(lk.issuer, c)).json()) as Json;
  return { token: body.access_token, clientId: c.clientId };
}

beforeAll(async () => {
  lk = await startLatchkey();
  const admin = await tokenFor(['latchkey:admin']);
  adminClientId = admin.clientId;
  adminToken = admin.token;
  api = await adminClient(lk.issuer, admin.token);
});
afterAll(() => lk.close());

async function signingKey(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { privateKey, kid, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

/** client_credentials with a private_key_jwt assertion (RFC 7523 §3) signed by `key`. */
async function tokenWithKey(clientId: string, key: Awaited<ReturnType<typeof signingKey>>) {
  const assertion = await new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: key.kid })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(lk.issuer)
    .setIssuedAt()
    .setExpirationTime('1m')
    .setJti(crypto.randomUUID())
    .sign(key.privateKey);
  const r = await fetch(`${lk.issuer}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    }),
  });
  return { status: r.status, body: (await r.json()) as Json };
}

describe('admin API /admin/v1', () => {
  it('answers 401 without a token and 403 without latchkey:admin, as problem details', async () => {
    const none = await api.call('GET', '/admin/v1/organizations', undefined, { token: '' });
    expect(none.status).toBe(401);
    expect(none.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer realm=/);
    expect(none.body).toMatchObject({ type: 'about:blank', title: 'Unauthorized', status: 401 });
    const bad = await api.call('GET', '/admin/v1/organizations', undefined, { token: 'not-a-token' });
    expect(bad.status).toBe(401);
    const other = await tokenFor(['invoices:read']);
    const weak = await api.call('GET', '/admin/v1/organizations', undefined, { token: other.token });
    expect(weak.status).toBe(403);
    expect(weak.headers.get('www-authenticate')).toContain('insufficient_scope');
    expect((weak.body as Json).detail).toContain('latchkey:admin');
  });

  it('creates, finds by external_id, pages, renames and deletes organizations', async () => {
    const created: Json[] = [];
    for (const i of [1, 2, 3]) {
      const r = await api.call('POST', '/admin/v1/organizations', {
        name: `Org ${i}`,
        external_id: `ext-org-${i}`,
      });
      expect(r.status).toBe(201);
      created.push(r.body as Json);
    }
    expect(created[0]).toMatchObject({ name: 'Org 1', external_id: 'ext-org-1' });
    const dup = await api.call('POST', '/admin/v1/organizations', {
      name: 'Again',
      external_id: 'ext-org-1',
    });
    expect(dup.status).toBe(409);

    const found = (await api.call('GET', '/admin/v1/organizations?external_id=ext-org-2')).body as Json;
    expect(found.data.map((o: Json) => o.id)).toEqual([created[1]!.id]);
    expect(found.next_cursor).toBeNull();

    // Walk every organization two at a time: each exactly once, in a stable order.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = (
        await api.call('GET', `/admin/v1/organizations?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
      ).body as Json;
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((o: Json) => o.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...new Set(seen)]);
    expect(seen).toEqual(expect.arrayContaining([lk.orgId, ...created.map((o) => o.id)]));
    expect((await api.call('GET', '/admin/v1/organizations?cursor=garbage')).status).toBe(400);
    expect((await api.call('GET', '/admin/v1/audit-events?cursor=garbage')).status).toBe(400);
    expect((await api.call('GET', '/admin/v1/users?limit=0')).status).toBe(400);
    expect((await api.call('GET', `/admin/v1/organizations/${lk.orgId}`)).body).toMatchObject({
      id: lk.orgId,
      external_id: null,
    });

    const renamed = await api.call('PATCH', `/admin/v1/organizations/${created[2]!.id}`, {
      name: 'Org three',
    });
    expect(renamed.body).toMatchObject({ id: created[2]!.id, name: 'Org three', external_id: 'ext-org-3' });
    expect((await api.call('DELETE', `/admin/v1/organizations/${created[2]!.id}`)).status).toBe(204);
    expect((await api.call('GET', `/admin/v1/organizations/${created[2]!.id}`)).status).toBe(404);
    expect((await api.call('PATCH', `/admin/v1/organizations/${created[2]!.id}`, { name: 'x' })).status).toBe(
      404,
    );
    expect((await api.call('DELETE', `/admin/v1/organizations/${created[2]!.id}`)).status).toBe(404);
  });

  it('lists the fields a request got wrong (RFC 9457 with errors[])', async () => {
    const r = await api.call(
      'POST',
      '/admin/v1/organizations',
      { name: '', colour: 'red' },
      { invalid: true },
    );
    expect(r.status).toBe(400);
    const body = r.body as Json;
    expect(body.type).toBe('urn:latchkey:problem:validation');
    expect(body.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ location: 'body', pointer: '/name' }),
        expect.objectContaining({ location: 'body', pointer: '/colour', detail: 'is not a known field' }),
      ]),
    );
    expect((await api.call('GET', '/admin/v1/organizations?limit=1000')).status).toBe(400);
    const unknown = await fetch(`${lk.issuer}/admin/v1/nothing-here`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('provisions users and memberships with the three roles', async () => {
    const org = (await api.call('POST', '/admin/v1/organizations', { name: 'People Inc' })).body as Json;
    const user = await api.call('POST', '/admin/v1/users', {
      email: 'Ada@Example.com',
      name: 'Ada',
      external_id: 'u-1',
    });
    expect(user.status).toBe(201);
    const ada = user.body as Json;
    expect(ada).toMatchObject({ email: 'ada@example.com', name: 'Ada', external_id: 'u-1' });
    expect((await api.call('POST', '/admin/v1/users', { email: 'ada@example.com' })).status).toBe(409);
    expect(
      (await api.call('POST', '/admin/v1/users', { email: 'not-an-email' }, { invalid: true })).status,
    ).toBe(400);
    expect(((await api.call('GET', '/admin/v1/users?email=ADA@example.com')).body as Json).data).toHaveLength(
      1,
    );
    expect(((await api.call('GET', '/admin/v1/users?external_id=u-1')).body as Json).data[0].id).toBe(ada.id);
    expect((await api.call('GET', `/admin/v1/users/${ada.id}`)).body).toEqual(ada);

    const path = `/admin/v1/organizations/${org.id}/members/${ada.id}`;
    const added = await api.call('PUT', path, { role: 'developer' });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ user_id: ada.id, role: 'developer' });
    expect((await api.call('PUT', path, { role: 'admin' })).status).toBe(200);
    expect((await api.call('PUT', path, { role: 'owner' }, { invalid: true })).status).toBe(400);
    const members = (await api.call('GET', `/admin/v1/organizations/${org.id}/members`)).body as Json;
    expect(members.data).toEqual([expect.objectContaining({ user_id: ada.id, role: 'admin' })]);
    expect((await api.call('DELETE', path)).status).toBe(204);
    expect((await api.call('DELETE', path)).status).toBe(404);
    expect(
      (await api.call('PUT', `/admin/v1/organizations/${org.id}/members/nobody`, { role: 'member' })).status,
    ).toBe(404);
    expect((await api.call('GET', '/admin/v1/organizations/nope/members')).status).toBe(404);

    expect((await api.call('DELETE', `/admin/v1/users/${ada.id}`)).status).toBe(204);
    expect((await api.call('GET', `/admin/v1/users/${ada.id}`)).status).toBe(404);
    expect((await api.call('DELETE', `/admin/v1/users/${ada.id}`)).status).toBe(404);
  });

  it('registers credentials with keys instead of a secret, and the PAR and DPoP requirements', async () => {
    const org = (await api.call('POST', '/admin/v1/organizations', { name: 'Keys Ltd' })).body as Json;
    const first = await signingKey('k1');
    const made = await api.call('POST', `/admin/v1/organizations/${org.id}/clients`, {
      name: 'Signed',
      redirect_uris: [],
      grant_types: ['client_credentials'],
      jwks: { keys: [first.jwk] },
    });
    expect(made.status).toBe(201);
    const client = made.body as Json;
    expect(client).not.toHaveProperty('client_secret');
    expect(client).toMatchObject({
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [first.jwk] },
      jwks_uri: null,
      require_pushed_authorization_requests: false,
      dpop_bound_access_tokens: false,
    });
    expect((await tokenWithKey(client.client_id, first)).status).toBe(200);

    // Key rotation through the API: the old key stops working, the new one works.
    const second = await signingKey('k2');
    const rekeyed = await api.call('PATCH', `/admin/v1/clients/${client.client_id}`, {
      jwks: { keys: [second.jwk] },
      require_pushed_authorization_requests: true,
    });
    expect(rekeyed.status).toBe(200);
    expect(rekeyed.body).toMatchObject({
      jwks: { keys: [second.jwk] },
      require_pushed_authorization_requests: true,
    });
    expect((await tokenWithKey(client.client_id, first)).status).toBe(401);
    expect((await tokenWithKey(client.client_id, second)).status).toBe(200);

    // Requiring DPoP: a token request without a proof is refused (RFC 9449 §5.2).
    const dpop = await api.call('PATCH', `/admin/v1/clients/${client.client_id}`, {
      dpop_bound_access_tokens: true,
    });
    expect(dpop.body).toMatchObject({ dpop_bound_access_tokens: true });
    const refused = await tokenWithKey(client.client_id, second);
    expect(refused).toMatchObject({ status: 400, body: { error: 'invalid_dpop_proof' } });

    // A jwks_uri replaces the inline keys.
    const uri = await api.call('PATCH', `/admin/v1/clients/${client.client_id}`, {
      jwks_uri: 'https://signed.example/jwks.json',
    });
    expect(uri.body).toMatchObject({ jwks: null, jwks_uri: 'https://signed.example/jwks.json' });
    const shown = (await api.call('GET', `/admin/v1/clients/${client.client_id}`)).body as Json;
    expect(shown).toMatchObject({
      token_endpoint_auth_method: 'private_key_jwt',
      dpop_bound_access_tokens: true,
    });

    // The registration rules: one source of keys, public keys only, https.
    const create = (extra: Json, options?: { invalid: true }) =>
      api.call(
        'POST',
        `/admin/v1/organizations/${org.id}/clients`,
        { name: 'Bad keys', redirect_uris: [], grant_types: ['client_credentials'], ...extra },
        options,
      );
    const both = await create({ jwks: { keys: [first.jwk] }, jwks_uri: 'https://a.example/jwks' });
    expect(both.status).toBe(422);
    expect((both.body as Json).detail).toContain('not both');
    const privateJwk = await exportJWK(first.privateKey);
    expect((await create({ jwks: { keys: [privateJwk] } })).status).toBe(422);
    expect((await create({ jwks_uri: 'http://evil.example/jwks' })).status).toBe(422);
    expect((await create({ jwks: { keys: [{ kid: 'x' }] } }, { invalid: true })).status).toBe(400);
    // A secret client's answer says how it authenticates.
    const plain = (await create({ name: 'Plain' })).body as Json;
    expect(plain).toMatchObject({ token_endpoint_auth_method: 'client_secret_basic', jwks: null });
    expect(plain.client_secret).toMatch(/^lk_test_/);
  });

  it('manages credentials: the secret once, rotation with overlap, delete; the audit trail names the admin client', async () => {
    const org = (await api.call('POST', '/admin/v1/organizations', { name: 'Creds Ltd' })).body as Json;
    const made = await api.call('POST', `/admin/v1/organizations/${org.id}/clients`, {
      name: 'Books',
      redirect_uris: ['https://books.example/callback'],
      grant_types: ['authorization_code', 'client_credentials'],
    });
    expect(made.status).toBe(201);
    const client = made.body as Json;
    expect(client.client_secret).toMatch(/^lk_test_/);
    const token = await requestToken(lk.issuer, {
      clientId: client.client_id,
      clientSecret: client.client_secret,
    });
    expect(token.status).toBe(200);

    const shown = (await api.call('GET', `/admin/v1/clients/${client.client_id}`)).body as Json;
    expect(shown).not.toHaveProperty('client_secret');
    expect(shown).toMatchObject({ organization_id: org.id, name: 'Books' });
    const list = (await api.call('GET', `/admin/v1/organizations/${org.id}/clients`)).body as Json;
    expect(list.data.map((c: Json) => c.client_id)).toEqual([client.client_id]);
    expect(JSON.stringify(list)).not.toContain(client.client_secret);

    const patched = await api.call('PATCH', `/admin/v1/clients/${client.client_id}`, { name: 'Books 2' });
    expect(patched.body).toMatchObject({ name: 'Books 2' });
    const bad = await api.call('PATCH', `/admin/v1/clients/${client.client_id}`, {
      redirect_uris: ['http://evil.example/cb'],
    });
    expect(bad.status).toBe(422);
    const reserved = await api.call('POST', `/admin/v1/organizations/${org.id}/clients`, {
      name: 'Sneaky',
      redirect_uris: [],
      grant_types: ['client_credentials'],
      scopes: ['latchkey:admin'],
    });
    expect(reserved.status).toBe(422);
    expect((reserved.body as Json).detail).toContain('command line');

    const rotated = await api.call('POST', `/admin/v1/clients/${client.client_id}/secrets`, {
      overlap_seconds: 3600,
    });
    expect(rotated.status).toBe(201);
    const fresh = (rotated.body as Json).client_secret;
    expect(fresh).not.toBe(client.client_secret);
    // Within the overlap both secrets work.
    for (const secret of [client.client_secret, fresh]) {
      expect(
        (await requestToken(lk.issuer, { clientId: client.client_id, clientSecret: secret })).status,
      ).toBe(200);
    }
    expect(
      (await api.call('POST', `/admin/v1/clients/${client.client_id}/secrets`, {}, { invalid: true })).status,
    ).toBe(400);

    expect((await api.call('DELETE', `/admin/v1/clients/${client.client_id}`)).status).toBe(204);
    expect((await api.call('GET', `/admin/v1/clients/${client.client_id}`)).status).toBe(404);
    expect((await api.call('PATCH', `/admin/v1/clients/${client.client_id}`, { name: 'x' })).status).toBe(
      404,
    );
    expect((await api.call('DELETE', `/admin/v1/clients/${client.client_id}`)).status).toBe(404);
    expect(
      (await api.call('POST', `/admin/v1/clients/${client.client_id}/secrets`, { overlap_seconds: 0 }))
        .status,
    ).toBe(404);
    expect(
      (await api.call('POST', '/admin/v1/organizations/nope/clients', { name: 'x', redirect_uris: [] }))
        .status,
    ).toBe(404);
    expect((await api.call('GET', '/admin/v1/organizations/nope/clients')).status).toBe(404);

    const events = (await api.call('GET', `/admin/v1/audit-events?organization_id=${org.id}&limit=100`))
      .body as Json;
    const actions = events.data.map((e: Json) => e.action);
    // Newest first: the same events the console writes, with the admin client as actor.
    expect(actions).toEqual([
      'client.deleted',
      'client.secret_rotated',
      'client.updated',
      'client.created',
      'organization.created',
    ]);
    expect(events.data.every((e: Json) => e.actor === adminClientId)).toBe(true);
    const first = (await api.call('GET', `/admin/v1/audit-events?organization_id=${org.id}&limit=2`))
      .body as Json;
    const second = (
      await api.call(
        'GET',
        `/admin/v1/audit-events?organization_id=${org.id}&limit=2&cursor=${first.next_cursor}`,
      )
    ).body as Json;
    expect([...first.data, ...second.data].map((e: Json) => e.action)).toEqual(actions.slice(0, 4));
  });

  it("registers post_logout_redirect_uris on create and PATCH, under the redirect URLs' rules", async () => {
    const org = (await api.call('POST', '/admin/v1/organizations', { name: 'Sign-out GmbH' })).body as Json;
    const back = 'https://portal.example/signed-out';
    const made = await api.call('POST', `/admin/v1/organizations/${org.id}/clients`, {
      name: 'Portal',
      redirect_uris: ['https://portal.example/callback'],
      post_logout_redirect_uris: [back],
    });
    expect(made.status).toBe(201);
    const id = (made.body as Json).client_id;
    expect(made.body).toMatchObject({ post_logout_redirect_uris: [back] });
    expect((await api.call('GET', `/admin/v1/clients/${id}`)).body).toMatchObject({
      post_logout_redirect_uris: [back],
    });
    const patched = await api.call('PATCH', `/admin/v1/clients/${id}`, {
      post_logout_redirect_uris: [back, `${back}/again`],
    });
    expect(patched.body).toMatchObject({ post_logout_redirect_uris: [back, `${back}/again`] });
    const bad = await api.call('PATCH', `/admin/v1/clients/${id}`, {
      post_logout_redirect_uris: ['https://portal.example/*'],
    });
    expect(bad.status).toBe(422);
    expect(JSON.stringify(bad.body)).toContain('Wildcards are not allowed');
    const tooMany = await api.call(
      'PATCH',
      `/admin/v1/clients/${id}`,
      { post_logout_redirect_uris: Array.from({ length: 21 }, (_, i) => `${back}/${i}`) },
      { invalid: true },
    );
    expect(tooMany.status).toBe(400);
    expect((await api.call('GET', `/admin/v1/clients/${id}`)).body).toMatchObject({
      post_logout_redirect_uris: [back, `${back}/again`],
    });
  });

  it('lists and revokes grants; one organization never reaches another through its paths', async () => {
    const orgA = lk.orgId;
    const orgB = (await api.call('POST', '/admin/v1/organizations', { name: 'Other Org' })).body as Json;
    const person = await lk.createUser();
    const app = await lk.createClient({ name: 'Connected app' });
    const s = lk.services;
    const grant = await s.store.grants.create(
      { clientId: app.clientId, userId: person.userId, orgId: orgA, scope: 'profile:read' },
      s.clock(),
    );

    const inA = (await api.call('GET', `/admin/v1/organizations/${orgA}/grants`)).body as Json;
    expect(inA.data).toEqual([
      expect.objectContaining({ id: grant.id, scopes: ['profile:read'], revoked_at: null }),
    ]);
    const inB = (await api.call('GET', `/admin/v1/organizations/${orgB.id}/grants`)).body as Json;
    expect(inB.data).toEqual([]);
    expect(((await api.call('GET', `/admin/v1/organizations/${orgB.id}/clients`)).body as Json).data).toEqual(
      [],
    );
    // A member of A is not a member of B: B's path cannot remove or show them.
    expect(
      (await api.call('DELETE', `/admin/v1/organizations/${orgB.id}/members/${person.userId}`)).status,
    ).toBe(404);
    expect(((await api.call('GET', `/admin/v1/organizations/${orgB.id}/members`)).body as Json).data).toEqual(
      [],
    );
    expect((await api.call('GET', '/admin/v1/organizations/nope/grants')).status).toBe(404);

    expect((await api.call('DELETE', `/admin/v1/grants/${grant.id}`)).status).toBe(204);
    expect(await s.store.grants.isActive(grant.id)).toBe(false);
    expect((await api.call('DELETE', `/admin/v1/grants/${grant.id}`)).status).toBe(204);
    expect((await api.call('DELETE', '/admin/v1/grants/nope')).status).toBe(404);
    const audit = (await api.call('GET', `/admin/v1/audit-events?organization_id=${orgA}`)).body as Json;
    expect(audit.data[0]).toMatchObject({
      action: 'grant.revoked',
      actor: adminClientId,
      client_id: app.clientId,
    });
  });

  it('blocks any client by its URL-encoded id, lists software of no organization, and lists its grants', async () => {
    const agent = await createOwnerlessClient(lk, { name: 'Roaming Agent', origin: 'metadata_document' });
    const path = `/admin/v1/clients/${encodeURIComponent(agent.clientId)}`;
    const listed = (await api.call('GET', '/admin/v1/self-registered-clients?limit=100')).body as Json;
    expect(listed.data).toContainEqual(
      expect.objectContaining({
        client_id: agent.clientId,
        organization_id: null,
        origin: 'metadata_document',
        blocked_at: null,
      }),
    );
    expect(listed.data.every((c: Json) => c.organization_id === null)).toBe(true);
    expect(
      (await api.call('GET', '/admin/v1/self-registered-clients?limit=0', undefined, { invalid: true }))
        .status,
    ).toBe(400);

    // Its grants show in the organization the person chose, and end there like any other.
    const person = await lk.createUser();
    const s = lk.services;
    const grant = await s.store.grants.create(
      { clientId: agent.clientId, userId: person.userId, orgId: lk.orgId, scope: 'invoices:read' },
      s.clock(),
    );
    const grants = (await api.call('GET', `/admin/v1/organizations/${lk.orgId}/grants?limit=100`))
      .body as Json;
    expect(grants.data).toContainEqual(expect.objectContaining({ id: grant.id, client_id: agent.clientId }));

    const blocked = await api.call('POST', `${path}/block`);
    expect(blocked.status).toBe(200);
    expect(blocked.body).toMatchObject({ client_id: agent.clientId, organization_id: null });
    const blockedAt = (blocked.body as Json).blocked_at;
    expect(Date.parse(blockedAt)).toBeGreaterThan(0);
    expect(await s.store.grants.isActive(grant.id)).toBe(false);
    // Idempotent: the same answer, the first time kept, one audit event.
    expect(((await api.call('POST', `${path}/block`)).body as Json).blocked_at).toBe(blockedAt);
    expect((await api.call('GET', path)).body).toMatchObject({ blocked_at: blockedAt });
    const events = await s.store.audit.list({ clientId: agent.clientId, actions: ['client.blocked'] });
    expect(events).toEqual([
      expect.objectContaining({
        orgId: null,
        actor: adminClientId,
        detail: expect.objectContaining({ grantsRevoked: 1 }),
      }),
    ]);

    const missing = await api.call(
      'POST',
      `/admin/v1/clients/${encodeURIComponent('https://nowhere.example/c')}/block`,
    );
    expect(missing.status).toBe(404);
    expect((missing.body as Json).detail).toContain('https://nowhere.example/c');
  });

  it("keeps the operator's powers for latchkey:admin: a tenant's own credentials can neither see nor block a client", async () => {
    const victim = await lk.createClient({
      name: 'Their books',
      grants: ['client_credentials'],
      redirectUris: [],
    });
    const tenantOrg = await lk.createOrganization('Tenant GmbH');
    const tenant = await lk.createClient({
      orgId: tenantOrg,
      grants: ['client_credentials'],
      redirectUris: [],
    });
    const token = ((await (await requestToken(lk.issuer, tenant)).json()) as Json).access_token;
    for (const [method, path] of [
      ['POST', `/admin/v1/clients/${victim.clientId}/block`],
      ['GET', `/admin/v1/clients/${victim.clientId}`],
      ['GET', `/admin/v1/organizations/${lk.orgId}/clients`],
      ['GET', '/admin/v1/self-registered-clients'],
    ] as const) {
      const r = await api.call(method, path, undefined, { token });
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(r.headers.get('www-authenticate')).toContain('insufficient_scope');
    }
    expect((await lk.services.store.clients.find(victim.clientId))!.blockedAt).toBeNull();
    expect((await requestToken(lk.issuer, victim)).status).toBe(200);
  });

  it('publishes every route in the OpenAPI 3.1 document, each exercised above with a valid answer and a problem', () => {
    expect(api.doc.openapi).toBe('3.1.0');
    const missing = api.operations.flatMap((op) =>
      [`${op} ok`, `${op} problem`].filter((k) => !api.covered.has(k)),
    );
    expect(missing).toEqual([]);
    expect(api.operations).toHaveLength(23);
  });
});
