import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/crypto.ts';
import { type Latchkey, requestToken } from '../helpers/latchkey.ts';
import { startLatchkeyOnPostgres } from '../helpers/postgres.ts';

// The same store code on PostgreSQL: a dialect switch, not a rewrite. CI starts PostgreSQL; the test
// fails (not skips) when it is not there, so a missing service cannot pass silently.
let lk: Latchkey;

beforeAll(async () => {
  lk = await startLatchkeyOnPostgres();
});
afterAll(() => lk?.close());

describe('PostgreSQL store', () => {
  it('migrates, issues client_credentials tokens and stores only hashes', async () => {
    expect(lk.services.store.dialect).toBe('postgres');
    const c = await lk.createClient({ scopes: ['invoices:read'] });
    const res = await requestToken(lk.issuer, c);
    expect(res.status).toBe(200);
    const { access_token } = await res.json();
    const me = await fetch(`${lk.issuer}/api/v1/me`, {
      headers: { authorization: `Bearer ${access_token}` },
    });
    expect(await me.json()).toMatchObject({ client_id: c.clientId, org_id: c.orgId });
    const [secret] = await lk.services.store.clients.secrets(c.clientId);
    expect(secret!.secretHash).toBe(sha256(c.clientSecret));
    expect(typeof secret!.createdAt).toBe('number');
  });

  it('rotates keys and revokes tokens', async () => {
    const kid = await lk.rotateKeys();
    const keys = await lk.services.store.keys.list();
    expect(keys[0]!.kid).toBe(kid);
    await lk.services.store.revocations.revoke('jti-1', Date.now() + 1000);
    await lk.services.store.revocations.revoke('jti-1', Date.now() + 1000);
    expect(await lk.services.store.revocations.isRevoked('jti-1')).toBe(true);
    expect((await lk.services.store.audit.list({ orgId: lk.orgId })).length).toBeGreaterThan(0);
  });
});
