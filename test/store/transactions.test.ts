// Store.transaction, and the hot-path queries that run as plain SQLite prepared statements
// (src/store/prepared.ts): a query from outside a transaction never sees or joins its uncommitted work.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/index.ts';

const clock = () => 1_000_000;
const later = 2_000_000;

/** An organization, a person, a client, a grant between them, and an unused code of that grant. */
async function seedGrant(store: Store) {
  const org = await store.accounts.createOrganization('Org');
  const user = await store.accounts.createUser('a@example.com', 'hash');
  const client = await store.clients.create({
    id: 'client-1',
    orgId: org.id,
    name: 'App',
    redirectUris: [],
    grantTypes: ['authorization_code', 'refresh_token'],
    scopes: [],
    isPublic: false,
    pkceOptional: false,
    createdBy: null,
  });
  const grant = await store.grants.create(
    { clientId: client.id, userId: user.id, orgId: org.id, scope: '' },
    1,
  );
  const code = {
    clientId: client.id,
    grantId: grant.id,
    userId: user.id,
    orgId: org.id,
    scope: '',
    codeHash: 'code-hash',
    redirectUri: 'https://app.example/cb',
    redirectUriSent: false,
    codeChallenge: null,
    expiresAt: later,
    createdAt: 1,
  };
  await store.codes.create(code);
  return { org, user, client, grant, code };
}

describe.each([
  ['a file', () => join(mkdtempSync(join(tmpdir(), 'latchkey-tx-')), 'db.sqlite')],
  ['memory', () => ':memory:'],
])('SQLite store transactions (%s)', (_name, location) => {
  let store: Store;
  beforeEach(async () => {
    store = await openStore(location(), clock);
  });
  afterEach(() => store.close());

  it('commits what the work did when it succeeds', async () => {
    await store.transaction(async (tx) => {
      await tx.revocations.revoke('jti-1', later);
      await tx.revocations.revoke('jti-2', later);
    });
    expect(await store.revocations.isRevoked('jti-1')).toBe(true);
    expect(await store.revocations.isRevoked('jti-2')).toBe(true);
  });

  it('rolls everything back when the work fails', async () => {
    await expect(
      store.transaction(async (tx) => {
        await tx.revocations.revoke('jti-1', later);
        expect(await tx.revocations.isRevoked('jti-1')).toBe(true);
        throw new Error('stop');
      }),
    ).rejects.toThrow('stop');
    expect(await store.revocations.isRevoked('jti-1')).toBe(false);
  });

  it('answers a query asked during an open transaction as if the transaction were not there', async () => {
    let askedDuring: Promise<boolean> | undefined;
    await expect(
      store.transaction(async (tx) => {
        await tx.revocations.revoke('jti-1', later);
        // Another request's lookup, while this transaction holds uncommitted work.
        askedDuring = store.revocations.isRevoked('jti-1');
        await tx.revocations.revoke('jti-2', later);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await askedDuring).toBe(false);
  });

  it('keeps a write asked during an open transaction out of it: the rollback does not undo it', async () => {
    const { grant } = await seedGrant(store);
    let writtenDuring: Promise<void> | undefined;
    await expect(
      store.transaction(async (tx) => {
        await tx.revocations.revoke('jti-1', later);
        // Another request's write (a prepared statement), while this transaction is open.
        writtenDuring = store.grants.touch(grant.id, later);
        await tx.revocations.revoke('jti-2', later);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    await writtenDuring;
    expect(await store.revocations.isRevoked('jti-1')).toBe(false);
    expect((await store.grants.find(grant.id))?.lastUsedAt).toBe(later);
  });

  it('runs a redemption asked during an open transaction after it, outside it: the rollback keeps it', async () => {
    const { grant, code } = await seedGrant(store);
    const refreshToken = {
      clientId: code.clientId,
      grantId: code.grantId,
      userId: code.userId,
      orgId: code.orgId,
      scope: code.scope,
      tokenHash: 'token-hash',
      familyId: 'family',
      createdAt: later,
      expiresAt: later + 1,
      familyExpiresAt: later + 1,
    };
    let redeemed: Promise<{ outcome: string }> | undefined;
    await expect(
      store.transaction(async (tx) => {
        await tx.revocations.revoke('jti-1', later);
        // Another request's code exchange (an atomic unit), while this transaction is open.
        redeemed = store.codes.redeem(code.codeHash, later, () => ({ refreshToken }));
        await tx.revocations.revoke('jti-2', later);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect((await redeemed)?.outcome).toBe('redeemed');
    expect(await store.revocations.isRevoked('jti-1')).toBe(false);
    expect((await store.codes.find(code.codeHash))?.consumedAt).toBe(later);
    expect((await store.grants.find(grant.id))?.lastUsedAt).toBe(later);
    expect(await store.refreshTokens.find(refreshToken.tokenHash)).toBeDefined();
  });

  it('runs a redemption inside a store transaction as part of it', async () => {
    const { code } = await seedGrant(store);
    await expect(
      store.transaction(async (tx) => {
        expect((await tx.codes.redeem(code.codeHash, later, () => ({}))).outcome).toBe('redeemed');
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect((await store.codes.find(code.codeHash))?.consumedAt).toBeNull();
  });
});
