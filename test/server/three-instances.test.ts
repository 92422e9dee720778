import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../src/accounts/users.ts';
import { createCredentials } from '../../src/oauth/client-registration.ts';
import {
  at,
  createClientIn,
  type Instance,
  type Instances,
  startInstances,
  within,
} from '../helpers/instances.ts';
import type { TestClient } from '../helpers/latchkey.ts';
import { requestToken } from '../helpers/latchkey.ts';
import { introspect, obtainCode, Person, tokenEndpointLike, tokenRequest } from '../helpers/oauth-flow.ts';
import { hiddenField } from '../helpers/web.ts';

// DESIGN.md "Several instances": three real processes on one PostgreSQL database, sharing one Redis
// or PostgreSQL alone (change notices over LISTEN/NOTIFY). A change made at one instance (or by the
// CLI) reaches the caches of the others within 1 s.
const limit = 30;
const cb = 'http://127.0.0.1:9999/callback';
const password = 'correct horse battery staple';

const jwtHeader = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString());
const jwtClaims = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString());

/** How many token-status checks an instance answered from memory (its /metrics). */
async function statusHits(i: Instance): Promise<number> {
  const text = await (await fetch(`${i.url}/metrics`)).text();
  const m = /latchkey_cache_lookups_total\{cache="token_status",result="hit"\} (\d+)/.exec(text);
  return Number(m?.[1] ?? 0);
}

/** A person who connected an app at an instance: their organization, the app and the grant's tokens. */
interface ConnectedApp {
  orgId: string;
  userId: string;
  person: Person;
  client: TestClient;
  accessToken: string;
  refreshToken: string;
  grantId: string;
}

describe.each([
  { setup: 'one PostgreSQL and one Redis', redis: true },
  { setup: 'PostgreSQL alone', redis: false },
])('three instances on $setup', ({ redis }) => {
  let lk: Instances;
  let orgId: string;
  let a: Instance;
  let b: Instance;
  let c: Instance;
  /** Introspects any client's tokens (latchkey:introspect), from an organization no case deletes. */
  let resourceServer: TestClient;
  let adminToken: string;

  /** Credentials with a scope only the operator grants, in an organization of their own. */
  async function operatorClient(platformOrg: string, scope: string): Promise<TestClient> {
    const { client, clientSecret } = await createCredentials(
      {
        orgId: platformOrg,
        name: scope,
        grantTypes: ['client_credentials'],
        scopes: [scope],
        allowCliOnlyScopes: true,
        actor: 'test',
      },
      lk.admin,
    );
    return { clientId: client.id, clientSecret: clientSecret!, orgId: platformOrg };
  }

  beforeAll(async () => {
    lk = await startInstances(3, { LATCHKEY_TOKEN_RATE_LIMIT: `${limit}/hour` }, { redis });
    [a, b, c] = lk.instances as [Instance, Instance, Instance];
    orgId = (await lk.admin.store.accounts.createOrganization('Cluster')).id;
    const platform = (await lk.admin.store.accounts.createOrganization('Platform')).id;
    resourceServer = await operatorClient(platform, 'latchkey:introspect');
    const admin = await operatorClient(platform, 'latchkey:admin');
    adminToken = ((await (await requestToken(a.url, admin)).json()) as { access_token: string }).access_token;
  }, 120_000);
  afterAll(() => lk?.stop());

  const newClient = (name: string) => createClientIn(lk, orgId, name, cb);

  /** Polls every instance until each refuses `client` (401), at most `ms`; an instance stops being asked once it refuses. */
  async function refusedEverywhere(client: TestClient, ms: number): Promise<boolean> {
    const pending = new Set(lk.instances);
    return within(ms, async () => {
      for (const i of [...pending]) if ((await requestToken(i.url, client)).status === 401) pending.delete(i);
      return pending.size === 0;
    });
  }

  const tokenStatuses = (client: TestClient) =>
    Promise.all(lk.instances.map(async (i) => (await requestToken(i.url, client)).status));

  /** A new organization whose new admin signs in at A and connects a new app there. */
  async function connectedApp(): Promise<ConnectedApp> {
    const org = (await lk.admin.store.accounts.createOrganization(`Connected ${randomUUID()}`)).id;
    const client = await createClientIn(lk, org, 'Connected app', cb);
    const email = `person-${randomUUID()}@example.com`;
    const user = await createUser({ email, password, orgId: org, role: 'admin' }, lk.admin);
    const person = new Person(at(a), email, password);
    await person.signIn();
    const { code, verifier } = await obtainCode(person, { client, redirectUri: cb });
    const t = await tokenRequest(at(a), client, {
      grant_type: 'authorization_code',
      code: code!,
      code_verifier: verifier,
      redirect_uri: cb,
    });
    expect(t.status).toBe(200);
    const accessToken = String(t.body.access_token);
    return {
      orgId: org,
      userId: user.id,
      person,
      client,
      accessToken,
      refreshToken: String(t.body.refresh_token),
      grantId: jwtClaims(accessToken).gid,
    };
  }

  const activeAt = async (i: Instance, token: string) =>
    (await introspect(at(i), resourceServer, token)).active;

  /** Active at B, and B's second answer came from memory: what a change must now reach. */
  async function cachedActiveAtB(token: string): Promise<void> {
    expect(await activeAt(b, token)).toBe(true);
    const hits = await statusHits(b);
    expect(await activeAt(b, token)).toBe(true);
    expect(await statusHits(b)).toBe(hits + 1);
  }

  async function adminApi(method: string, path: string): Promise<void> {
    const r = await fetch(`${a.url}/admin/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(r.status).toBe(204);
  }

  it('a code redeemed at two instances at once gives one success', async () => {
    const client = await newClient('code race');
    const email = `race-${Date.now()}@example.com`;
    await createUser({ email, password: 'correct horse battery staple', orgId, role: 'admin' }, lk.admin);
    const person = new Person(at(a), email, 'correct horse battery staple');
    await person.signIn();
    const { code, verifier } = await obtainCode(person, { client, redirectUri: cb });
    const redeem = (i: Instance) =>
      tokenRequest(at(i), client, {
        grant_type: 'authorization_code',
        code: code!,
        code_verifier: verifier,
        redirect_uri: cb,
      });
    const results = await Promise.all([redeem(b), redeem(c)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 400]);
    expect(results.find((r) => r.status === 400)!.body.error).toBe('invalid_grant');

    // A refresh token rotated at two instances at once: one success, and the family is revoked.
    // (A fresh code: the replay above revoked what the first one gave, as RFC 9700 §4.2.4 asks.)
    const second = await obtainCode(person, { client, redirectUri: cb });
    const issued = await tokenRequest(at(a), client, {
      grant_type: 'authorization_code',
      code: second.code!,
      code_verifier: second.verifier,
      redirect_uri: cb,
    });
    const refresh = String(issued.body.refresh_token);
    const rotate = (i: Instance, token: string) =>
      tokenRequest(at(i), client, { grant_type: 'refresh_token', refresh_token: token });
    const rotated = await Promise.all([rotate(a, refresh), rotate(b, refresh)]);
    expect(rotated.map((r) => r.status).sort()).toEqual([200, 400]);
    const winner = rotated.find((r) => r.status === 200)!.body;
    expect((await rotate(c, String(winner.refresh_token))).body.error).toBe('invalid_grant');
    expect((await introspect(at(c), client, String(winner.access_token))).active).toBe(false);
  });

  it('a client deleted with the CLI is refused at every instance within 1 s', async () => {
    const client = await newClient('deleted');
    expect(await tokenStatuses(client)).toEqual([200, 200, 200]); // now cached everywhere
    expect(await lk.cli(['client', 'delete', client.clientId])).toEqual({ deleted: client.clientId });
    expect(await refusedEverywhere(client, 1_000)).toBe(true);
  });

  it('a secret expired by rotation at one is refused at the others within 1 s', async () => {
    const client = await newClient('rotated');
    expect(await tokenStatuses(client)).toEqual([200, 200, 200]);
    const rotated = await lk.cli(['client', 'rotate-secret', client.clientId]);
    expect(await refusedEverywhere(client, 1_000)).toBe(true);
    expect(await tokenStatuses({ ...client, clientSecret: String(rotated.client_secret) })).toEqual([
      200, 200, 200,
    ]);
  });

  it('a secret that reaches its expiry is refused everywhere within 1 s, with no notice sent', async () => {
    const client = await newClient('overlap');
    await lk.cli(['client', 'rotate-secret', client.clientId, '--overlap', '2']);
    // Read and cached everywhere after the rotation's notice: from here on, nothing tells the instances.
    expect(await tokenStatuses(client)).toEqual([200, 200, 200]);
    const old = (await lk.admin.store.clients.secrets(client.clientId)).find((s) => s.expiresAt !== null)!;
    await new Promise((r) => setTimeout(r, Math.max(0, old.expiresAt! - Date.now())));
    expect(await refusedEverywhere(client, 1_000)).toBe(true);
  });

  it('a key rotated with the CLI is published and used by every instance within 5 s', async () => {
    const client = await newClient('keys');
    const { kid } = await lk.cli(['keys', 'rotate']);
    const everywhere = await within(5_000, async () => {
      for (const i of lk.instances) {
        const jwks = (await (await fetch(`${i.url}/.well-known/jwks.json`)).json()) as {
          keys: { kid: string }[];
        };
        if (!jwks.keys.some((k) => k.kid === kid)) return false;
      }
      return true;
    });
    expect(everywhere).toBe(true);
    for (const i of lk.instances) {
      const { access_token } = (await (await requestToken(i.url, client)).json()) as { access_token: string };
      expect(jwtHeader(access_token).kid).toBe(kid);
    }
  });

  describe('a token introspected active at B (so cached there) is inactive there within 1 s of', () => {
    const changes: Array<[string, (app: ConnectedApp) => Promise<void>]> = [
      [
        'an RFC 7009 revocation at A',
        async (app) => {
          const r = await tokenEndpointLike(at(a), '/oauth/revoke', app.client, { token: app.accessToken });
          expect(r.status).toBe(200);
        },
      ],
      [
        'the app revoked on the connected-apps page at A',
        async (app) => {
          const html = await (await app.person.get('/settings/connected-apps')).text();
          const r = await app.person.post('/settings/connected-apps/revoke', {
            _csrf: hiddenField(html, '_csrf'),
            client_id: app.client.clientId,
            user_id: app.userId,
          });
          expect(r.status).toBe(303);
        },
      ],
      ['the grant revoked through the admin API at A', (app) => adminApi('DELETE', `/grants/${app.grantId}`)],
      [
        'its refresh token used twice at A (the family and grant revoked)',
        async (app) => {
          const refresh = { grant_type: 'refresh_token', refresh_token: app.refreshToken };
          expect((await tokenRequest(at(a), app.client, refresh)).status).toBe(200);
          expect((await tokenRequest(at(a), app.client, refresh)).body.error).toBe('invalid_grant');
        },
      ],
      [
        'its client deleted with the CLI',
        async (app) => {
          expect(await lk.cli(['client', 'delete', app.client.clientId])).toEqual({
            deleted: app.client.clientId,
          });
        },
      ],
      ['the person deleted through the admin API at A', (app) => adminApi('DELETE', `/users/${app.userId}`)],
      [
        'the membership removed through the admin API at A',
        (app) => adminApi('DELETE', `/organizations/${app.orgId}/members/${app.userId}`),
      ],
      [
        'the organization deleted through the admin API at A',
        (app) => adminApi('DELETE', `/organizations/${app.orgId}`),
      ],
    ];
    for (const [change, make] of changes) {
      it(change, async () => {
        const app = await connectedApp();
        await cachedActiveAtB(app.accessToken);
        await make(app);
        expect(await within(1_000, async () => !(await activeAt(b, app.accessToken)))).toBe(true);
      });
    }
  });

  it.runIf(redis)(
    `a limit of ${limit} per hour gives ${limit} successes in total across the three`,
    async () => {
      // Fixed windows: do not start right before the hour turns, or two windows would be counted.
      const toNextHour = 3_600_000 - (Date.now() % 3_600_000);
      if (toNextHour < 20_000) await new Promise((r) => setTimeout(r, toNextHour + 100));
      const client = await newClient('limited');
      const loop = async (i: Instance) => {
        const statuses: number[] = [];
        for (let n = 0; n < 15; n++) statuses.push((await requestToken(i.url, client)).status);
        return statuses;
      };
      const all = (await Promise.all([loop(a), loop(b), loop(c)])).flat();
      expect(all.filter((s) => s === 200)).toHaveLength(limit);
      expect(all.filter((s) => s === 429)).toHaveLength(45 - limit);
    },
    60_000,
  );

  it.runIf(redis)(
    'while Redis is away, a revocation at A is seen at B within 1 s: answers live 1 s',
    async () => {
      const app = await connectedApp();
      await lk.redis!.stop();
      try {
        const degraded = async (i: Instance) =>
          ((await (await fetch(`${i.url}/readyz`)).json()) as { redis: string }).redis === 'degraded';
        expect(await within(10_000, async () => (await degraded(a)) && (await degraded(b)))).toBe(true);
        await cachedActiveAtB(app.accessToken);
        const r = await tokenEndpointLike(at(a), '/oauth/revoke', app.client, { token: app.accessToken });
        expect(r.status).toBe(200);
        // No notice can reach B: its answer, cached before the revocation, lives at most 1 s.
        expect(await within(1_000, async () => !(await activeAt(b, app.accessToken)))).toBe(true);
      } finally {
        await lk.redis!.start();
      }
    },
  );
});
