import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Latchkey } from '../helpers/latchkey.ts';
import { introspect, obtainCode, Person, tokenRequest } from '../helpers/oauth-flow.ts';
import { startLatchkeyOnPostgres } from '../helpers/postgres.ts';

// The authorization code flow's queries are portable: the same run on PostgreSQL.
const cb = 'http://127.0.0.1:9999/callback';
let lk: Latchkey;

beforeAll(async () => {
  lk = await startLatchkeyOnPostgres();
});
afterAll(() => lk?.close());

describe('authorization code flow on PostgreSQL', () => {
  it('signs in, consents, redeems once (races included), rotates, detects reuse, lists and revokes', async () => {
    expect(lk.services.store.dialect).toBe('postgres');
    const client = await lk.createClient({ name: 'PG App', redirectUris: [cb] });
    const u = await lk.createUser();
    const person = new Person(lk, u.email, u.password);
    await person.signIn();

    const first = await obtainCode(person, { client, redirectUri: cb });
    const redeem = () =>
      tokenRequest(lk, client, {
        grant_type: 'authorization_code',
        code: first.code!,
        code_verifier: first.verifier,
        redirect_uri: cb,
      });
    const results = await Promise.all([redeem(), redeem(), redeem()]);
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    const winner = results.find((r) => r.status === 200)!.body;
    // The losers were replays: what the winner got is revoked.
    expect((await introspect(lk, client, String(winner.access_token))).active).toBe(false);

    // That grant is revoked, so the consent page shows again (303 after the POST)…
    const second = await obtainCode(person, { client, redirectUri: cb });
    expect(second.status).toBe(303);
    // …and is remembered from then on: straight back with a code (302, no page).
    expect((await obtainCode(person, { client, redirectUri: cb })).status).toBe(302);
    const t = await tokenRequest(lk, client, {
      grant_type: 'authorization_code',
      code: second.code!,
      code_verifier: second.verifier,
      redirect_uri: cb,
    });
    expect(t.status).toBe(200);
    const r1 = await tokenRequest(lk, client, {
      grant_type: 'refresh_token',
      refresh_token: String(t.body.refresh_token),
    });
    expect(r1.status).toBe(200);
    const reuse = await tokenRequest(lk, client, {
      grant_type: 'refresh_token',
      refresh_token: String(t.body.refresh_token),
    });
    expect(reuse.body.error).toBe('invalid_grant');
    expect((await introspect(lk, client, String(r1.body.access_token))).active).toBe(false);

    const third = await obtainCode(person, { client, redirectUri: cb, extra: { prompt: 'consent' } });
    expect(third.code).toBeTruthy();
    const listed = await lk.services.store.grants.connections({ orgId: lk.orgId });
    expect(listed).toMatchObject([{ clientName: 'PG App', email: u.email }]);
    const revoked = await lk.services.store.grants.revokeConnection(
      { clientId: client.clientId, userId: u.userId, orgId: lk.orgId },
      Date.now(),
    );
    expect(revoked).toBe(2); // the remembered one and the one from prompt=consent
    expect(await lk.services.store.grants.connections({ orgId: lk.orgId })).toEqual([]);
    expect(await lk.services.store.sessions.prune()).toBeGreaterThanOrEqual(0);
  });
});
