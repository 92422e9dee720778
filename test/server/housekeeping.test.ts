import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId, sha256 } from '../../src/crypto.ts';
import { housekeeping } from '../../src/server.ts';
import { type Latchkey, startLatchkey, testClock } from '../helpers/latchkey.ts';

// The server's housekeeping job (src/server.ts, every 10 minutes): expired sessions, parked
// authorization requests, codes and revocations of expired tokens go; a code stays a day past its expiry so a late replay still
// revokes what it issued (RFC 6749 §4.1.2).
const clock = testClock();
let lk: Latchkey;

beforeAll(async () => {
  lk = await startLatchkey({ clock });
});
afterAll(() => lk.close());

describe('housekeeping', () => {
  it('prunes expired sessions, parked requests, day-old codes and expired revocations, and keeps the rest', async () => {
    const { store } = lk.services;
    const client = await lk.createClient();
    const { userId } = await lk.createUser();
    const grant = await store.grants.create(
      { clientId: client.clientId, userId, orgId: lk.orgId, scope: 'read' },
      clock(),
    );
    const park = (ttlMs: number) =>
      store.authorizationRequests.create({
        clientId: client.clientId,
        redirectUri: 'http://127.0.0.1:9999/callback',
        redirectUriSent: true,
        scope: 'read',
        state: null,
        codeChallenge: null,
        prompt: null,
        createdAt: clock(),
        expiresAt: clock() + ttlMs,
      });
    const code = async (ttlMs: number) => {
      const codeHash = sha256(newId());
      await store.codes.create({
        codeHash,
        clientId: client.clientId,
        grantId: grant.id,
        userId,
        orgId: lk.orgId,
        redirectUri: 'http://127.0.0.1:9999/callback',
        redirectUriSent: true,
        scope: 'read',
        codeChallenge: null,
        createdAt: clock(),
        expiresAt: clock() + ttlMs,
      });
      return codeHash;
    };
    const hour = 3_600_000;
    const shortSession = await store.sessions.create(userId, null, 60);
    const longSession = await store.sessions.create(userId, null, 3 * 86_400);
    const shortRequest = await park(60_000);
    const longRequest = await park(3 * 86_400_000);
    const oldCode = await code(60_000);
    const recentCode = await code(2 * hour);
    // Revoked access tokens: one that expired an hour after revocation, one still valid for days.
    await store.revocations.revoke('jti-expired', clock() + hour);
    await store.revocations.revoke('jti-live', clock() + 3 * 86_400_000);

    // A day and an hour later: the short-lived ones expired; the first code more than a day ago.
    clock.advance(86_400_000 + hour);
    const countBefore = (await store.rows('sessions')).length;
    await housekeeping(lk.services);

    expect((await store.rows('sessions')).length).toBe(countBefore - 1);
    expect(await store.sessions.find(longSession.id)).toBeDefined();
    expect((await store.rows('sessions')).some((r) => r.id_hash === sha256(shortSession.id))).toBe(false);
    const requests = (await store.rows('authorization_requests')).map((r) => r.id);
    expect(requests).toContain(longRequest.id);
    expect(requests).not.toContain(shortRequest.id);
    expect(await store.codes.find(oldCode)).toBeUndefined();
    expect(await store.codes.find(recentCode)).toBeDefined();
    expect(await store.revocations.isRevoked('jti-expired')).toBe(false);
    expect(await store.revocations.isRevoked('jti-live')).toBe(true);
  });
});
