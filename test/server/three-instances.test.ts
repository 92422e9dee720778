import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../src/accounts/users.ts';
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
import { introspect, obtainCode, Person, tokenRequest } from '../helpers/oauth-flow.ts';

// DESIGN.md "Several instances": three real processes on one PostgreSQL database and one Redis.
const limit = 30;
const cb = 'http://127.0.0.1:9999/callback';
let lk: Instances;
let orgId: string;
let a: Instance;
let b: Instance;
let c: Instance;

beforeAll(async () => {
  lk = await startInstances(3, { LATCHKEY_TOKEN_RATE_LIMIT: `${limit}/hour` });
  [a, b, c] = lk.instances as [Instance, Instance, Instance];
  orgId = (await lk.admin.store.accounts.createOrganization('Cluster')).id;
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

const jwtKid = (jwt: string): string =>
  JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString()).kid;

describe('three instances on one PostgreSQL and one Redis', () => {
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
      expect(jwtKid(access_token)).toBe(kid);
    }
  });

  it(`a limit of ${limit} per hour gives ${limit} successes in total across the three`, async () => {
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
  }, 60_000);
});
