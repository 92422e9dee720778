// The bearer-token status cache on SQLite (src/store/cached-token-status.ts): repeated checks of the
// same token are answered from memory, and any write (here or, within 100 ms, by another connection)
// makes every answer stale, so a revocation is never missed.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../../src/crypto.ts';
import { openStore, type Store } from '../../src/store/index.ts';

const clock = () => 1_000_000;
/** Past the interval at which SQLite is asked whether another connection committed. */
const nextCheck = () => new Promise((resolve) => setTimeout(resolve, 150));

let server: Store;
let cli: Store;
let grantId: string;
let queries = 0;

beforeEach(async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'latchkey-status-')), 'db.sqlite');
  server = await openStore(file, clock);
  cli = await openStore(file, clock, { migrate: false });
  const org = await server.accounts.createOrganization('Acme');
  const user = await server.accounts.createUser(`${newId()}@example.com`, 'hash');
  await server.clients.create({
    id: 'lkc_status',
    orgId: org.id,
    name: 'Billing sync',
    redirectUris: ['https://app.example/cb'],
    grantTypes: ['authorization_code'],
    scopes: ['read'],
    isPublic: false,
    pkceOptional: false,
    createdBy: null,
  });
  grantId = (
    await server.grants.create({ clientId: 'lkc_status', userId: user.id, orgId: org.id, scope: 'read' }, 1)
  ).id;
  queries = 0;
  server.observe({ query: () => queries++ });
});
afterEach(async () => {
  await server.close();
  await cli.close();
});

const active = { revoked: false, grantActive: true };

describe('bearer token status on SQLite', () => {
  it('answers a repeated check from memory', async () => {
    expect(await server.revocations.accessTokenStatus('jti-1', grantId)).toEqual(active);
    const afterFirst = queries;
    expect(afterFirst).toBeGreaterThan(0);
    expect(await server.revocations.accessTokenStatus('jti-1', grantId)).toEqual(active);
    expect(await server.revocations.accessTokenStatus('jti-1', grantId)).toEqual(active);
    expect(queries).toBe(afterFirst);
  });

  it('sees a revocation by this process at once', async () => {
    expect(await server.revocations.accessTokenStatus('jti-1', grantId)).toEqual(active);
    await server.revocations.revoke('jti-1', 2_000_000);
    expect((await server.revocations.accessTokenStatus('jti-1', grantId)).revoked).toBe(true);
  });

  it('sees a grant revoked by this process at once, in a transaction or not', async () => {
    expect(await server.revocations.accessTokenStatus('jti-1', grantId)).toEqual(active);
    await server.transaction((tx) => tx.grants.revoke(grantId, 2));
    expect((await server.revocations.accessTokenStatus('jti-1', grantId)).grantActive).toBe(false);
  });

  it('drops its answers on any write, not only to the tables it reads', async () => {
    await server.revocations.accessTokenStatus('jti-1', grantId);
    const before = queries;
    await server.audit.record({ orgId: null, actor: null, clientId: null, action: 'test', detail: {} });
    queries = before;
    await server.revocations.accessTokenStatus('jti-1', grantId);
    expect(queries).toBeGreaterThan(before);
  });

  it('sees a revocation by another connection within 100 ms', async () => {
    expect(await server.revocations.accessTokenStatus('jti-2', undefined)).toEqual(active);
    await cli.revocations.revoke('jti-2', 2_000_000);
    await nextCheck();
    expect((await server.revocations.accessTokenStatus('jti-2', undefined)).revoked).toBe(true);
    expect(await server.revocations.accessTokenStatus('jti-3', grantId)).toEqual(active);
    await cli.grants.revoke(grantId, 3);
    await nextCheck();
    expect((await server.revocations.accessTokenStatus('jti-3', grantId)).grantActive).toBe(false);
  });
});
