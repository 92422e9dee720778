// The bearer-token status cache (src/store/cached-token-status.ts): repeated checks of one token are
// answered from memory; every write that can end a token is announced after its commit
// (src/store/announced-changes.ts) and empties the cache; a read that raced a notice is not kept;
// while notices do not flow, answers live 1 s. The same cache on SQLite and on PostgreSQL.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../../src/crypto.ts';
import type { RevocationRepository } from '../../src/oauth/model/revocations.ts';
import { cachedTokenStatus } from '../../src/store/cached-token-status.ts';
import {
  type ChangeKind,
  type ChangeNotices,
  handlers,
  localChangeNotices,
} from '../../src/store/change-notices.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { pgChangeNotices } from '../../src/store/pg-change-notices.ts';
import { within } from '../helpers/instances.ts';
import { testClock } from '../helpers/latchkey.ts';
import { freshPostgres } from '../helpers/postgres.ts';

const active = { revoked: false, grantActive: true };
const log = pino({ level: 'silent' });

/** A revocation repository whose status reads wait until the test lets them answer. */
function slowRepository() {
  const reads: Array<() => void> = [];
  let status = active;
  const repo: RevocationRepository = {
    accessTokenStatus: () => new Promise((resolve) => reads.push(() => resolve(status))),
    revoke: async () => {},
    isRevoked: async () => false,
    prune: async () => {},
  };
  return {
    repo,
    reads,
    set: (s: typeof active) => {
      status = s;
    },
    answerAll: () => {
      for (const answer of reads.splice(0)) answer();
    },
  };
}

/** Notices in this process whose health the test sets, and which it can tell to reset. */
function notices() {
  const local = handlers();
  const state = { down: false };
  return {
    shared: true,
    set down(down: boolean) {
      state.down = down;
    },
    healthy: () => !state.down,
    publish: async (kind: ChangeKind, id: string) => local.deliver({ kind, id }),
    subscribe: local.add,
    close: async () => {},
    reset: () => local.deliver('reset'),
  } satisfies ChangeNotices & Record<string, unknown>;
}

describe('the cache itself', () => {
  const clock = testClock();
  const options = { ttlMs: 5_000, degradedTtlMs: 1_000 };

  async function answered<T>(slow: ReturnType<typeof slowRepository>, read: Promise<T>): Promise<T> {
    await Promise.resolve();
    slow.answerAll();
    return read;
  }

  it('answers a repeated check from memory, and reads again after a grants notice', async () => {
    const slow = slowRepository();
    const n = notices();
    const cache = cachedTokenStatus(slow.repo, n, clock, options);
    expect(await answered(slow, cache.accessTokenStatus('jti-1', 'g-1'))).toEqual(active);
    expect(await cache.accessTokenStatus('jti-1', 'g-1')).toEqual(active); // no read pending: from memory
    await n.publish('grants', '*');
    slow.set({ revoked: true, grantActive: true });
    expect(await answered(slow, cache.accessTokenStatus('jti-1', 'g-1'))).toEqual({
      revoked: true,
      grantActive: true,
    });
  });

  it('does not keep an answer read while a notice arrived', async () => {
    const slow = slowRepository();
    const n = notices();
    const cache = cachedTokenStatus(slow.repo, n, clock, options);
    const racing = cache.accessTokenStatus('jti-1', undefined);
    await Promise.resolve();
    // The read has begun with the old state; the change commits and its notice arrives before the answer.
    await n.publish('grants', '*');
    slow.answerAll();
    expect(await racing).toEqual(active);
    slow.set({ revoked: true, grantActive: true });
    const next = cache.accessTokenStatus('jti-1', undefined);
    expect(slow.reads).toHaveLength(1); // asked the database again
    slow.answerAll();
    expect((await next).revoked).toBe(true);
  });

  it('holds at most maxEntries answers, dropping the oldest', async () => {
    const slow = slowRepository();
    const cache = cachedTokenStatus(slow.repo, notices(), clock, { ...options, maxEntries: 2 });
    for (const jti of ['a', 'b', 'c']) await answered(slow, cache.accessTokenStatus(jti, undefined));
    const again = (jti: string) => {
      const read = cache.accessTokenStatus(jti, undefined);
      const asked = slow.reads.length > 0;
      slow.answerAll();
      return read.then(() => asked);
    };
    expect(await again('c')).toBe(false);
    expect(await again('b')).toBe(false);
    expect(await again('a')).toBe(true);
  });

  it('keeps answers 5 s while notices flow, 1 s while they do not, and drops all on a reset', async () => {
    const slow = slowRepository();
    const n = notices();
    const cache = cachedTokenStatus(slow.repo, n, clock, options);
    const fromMemory = async () => {
      const read = cache.accessTokenStatus('jti-1', undefined);
      const hit = slow.reads.length === 0;
      slow.answerAll();
      await read;
      return hit;
    };
    await answered(slow, cache.accessTokenStatus('jti-1', undefined));
    clock.advance(4_999);
    expect(await fromMemory()).toBe(true);
    clock.advance(1);
    expect(await fromMemory()).toBe(false); // read again, now 0 ms old

    n.down = true;
    clock.advance(999);
    expect(await fromMemory()).toBe(true);
    clock.advance(1);
    expect(await fromMemory()).toBe(false);

    n.down = false;
    expect(await fromMemory()).toBe(true);
    await n.publish('keys', 'k'); // another kind: kept
    expect(await fromMemory()).toBe(true);
    n.reset();
    expect(await fromMemory()).toBe(false);
  });
});

// Through the store, on both databases: each write that can end a token, made through the store
// (alone or in a transaction), is seen by the next check at once.
const sqliteFile = () => join(mkdtempSync(join(tmpdir(), 'latchkey-status-')), 'db.sqlite');
const databases: Array<[string, () => Promise<{ url: string; drop(): Promise<void> }>]> = [
  ['SQLite', async () => ({ url: sqliteFile(), drop: async () => {} })],
  [
    'PostgreSQL',
    async () => {
      const pg = await freshPostgres();
      if (!pg) throw new Error('PostgreSQL is not reachable on 127.0.0.1:5432');
      return pg;
    },
  ],
];

describe.each(databases)('token status through the store on %s', (name, database) => {
  const clock = testClock();
  let db: { url: string; drop(): Promise<void> };
  let store: Store;
  let plain: Store;
  let noticesOfStore: ChangeNotices;
  let published: string[];
  let queries = 0;
  let seed: { orgId: string; userId: string; clientId: string; grantId: string };
  let jti: string;

  beforeAll(async () => {
    db = await database();
    plain = await openStore(db.url, clock);
  });
  afterAll(async () => {
    await plain?.close();
    await db?.drop();
  });
  beforeEach(async () => {
    noticesOfStore = name === 'PostgreSQL' ? pgChangeNotices(db.url, log) : localChangeNotices();
    published = [];
    noticesOfStore.subscribe((n) => n !== 'reset' && published.push(`${n.kind} ${n.id}`));
    store = await openStore(db.url, clock, { migrate: false, notices: noticesOfStore });
    // PostgreSQL: caches keep 1 s lifetimes until the listening connection is up.
    expect(await within(5_000, async () => noticesOfStore.healthy())).toBe(true);
    const org = await plain.accounts.createOrganization('Acme');
    const user = await plain.accounts.createUser(`${newId()}@example.com`, 'hash');
    await plain.accounts.addMembership(org.id, user.id, 'member');
    const clientId = `lkc_${newId()}`;
    await plain.clients.create({
      id: clientId,
      orgId: org.id,
      name: 'Billing sync',
      redirectUris: ['https://app.example/cb'],
      grantTypes: ['authorization_code'],
      scopes: ['read'],
      isPublic: false,
      pkceOptional: false,
      createdBy: null,
    });
    const grant = await plain.grants.create({ clientId, userId: user.id, orgId: org.id, scope: 'read' }, 1);
    seed = { orgId: org.id, userId: user.id, clientId, grantId: grant.id };
    jti = newId();
    queries = 0;
    store.observe({ query: () => queries++ });
  });
  afterEach(async () => {
    await store.close();
    await noticesOfStore.close();
  });

  const status = () => store.revocations.accessTokenStatus(jti, seed.grantId);
  const inactive = async () => {
    const s = await status();
    return s.revoked || !s.grantActive;
  };
  /** Whether the next check was answered from memory. */
  const cached = async () => {
    const before = queries;
    await status();
    return queries === before;
  };

  it('answers a repeated check from memory; issuing tokens and other writes leave it there', async () => {
    expect(await status()).toEqual(active);
    expect(await cached()).toBe(true);
    // What every token request writes: a grant, a use, an audit line. None of it is announced.
    await store.grants.create(
      { clientId: seed.clientId, userId: seed.userId, orgId: seed.orgId, scope: 'read' },
      2,
    );
    await store.grants.touch(seed.grantId, 3);
    await store.audit.record({ orgId: seed.orgId, actor: null, clientId: null, action: 'test', detail: {} });
    expect(await cached()).toBe(true);
    expect(published).toEqual([]);
  });

  const endings: Array<
    [string, (s: Pick<Store, 'revocations' | 'grants' | 'accounts' | 'clients'>) => Promise<unknown>]
  > = [
    ['an RFC 7009 revocation', (s) => s.revocations.revoke(jti, 2_000_000)],
    ['the grant revoked', (s) => s.grants.revoke(seed.grantId, 2)],
    ['the connection revoked', (s) => s.grants.revokeConnection(seed, 2)],
    ["the member's grants revoked", (s) => s.grants.revokeMemberGrants(seed, 2)],
    ["the client's grants revoked (it was blocked)", (s) => s.grants.revokeClientGrants(seed.clientId, 2)],
    ['the person deleted', (s) => s.accounts.deleteUser(seed.userId)],
    ['the organization deleted', (s) => s.accounts.deleteOrganization(seed.orgId)],
    ['the client deleted', (s) => s.clients.delete(seed.clientId)],
  ];
  for (const [change, write] of endings) {
    it(`sees ${change} at once`, async () => {
      expect(await status()).toEqual(active);
      await write(store);
      expect(await inactive()).toBe(true);
      expect(published).toContain('grants *');
    });
    it(`sees ${change} in a transaction at once`, async () => {
      expect(await status()).toEqual(active);
      await store.transaction((tx) => write(tx));
      expect(await inactive()).toBe(true);
      expect(published).toContain('grants *');
    });
  }
  it('announces a change in a transaction only after its commit', async () => {
    expect(await status()).toEqual(active);
    // At the notice, a connection that caches nothing must already read the grant as revoked.
    const seenAtNotice: Array<Promise<boolean>> = [];
    noticesOfStore.subscribe((n) => n !== 'reset' && seenAtNotice.push(plain.grants.isActive(seed.grantId)));
    await store.transaction(async (tx) => {
      await tx.grants.revoke(seed.grantId, 2);
      expect(published).toEqual([]);
    });
    expect(await Promise.all(seenAtNotice)).toEqual([false]);
    expect(await inactive()).toBe(true);
  });

  it('announces the writes that end tokens through their callers', async () => {
    // A family revoked, a membership ended (synced or removed), a client changed (blocked): the
    // callers revoke grants or refuse the client, and the cache is emptied in any case.
    const writes: Array<() => Promise<unknown>> = [
      () => store.refreshTokens.revokeFamily(seed.grantId, 'family', 2),
      () => store.accounts.removeMembership(seed.orgId, seed.userId),
      () => store.loginIdentities.syncMemberships(seed.userId, []),
      () => store.clients.update(seed.clientId, { name: 'Renamed' }),
      () => store.clients.block(seed.clientId, 2),
    ];
    for (const write of writes) {
      await status();
      expect(await cached()).toBe(true);
      await write();
      expect(await cached()).toBe(false);
    }
  });

  it(`rolls back without a notice`, async () => {
    await status();
    await expect(
      store.transaction(async (tx) => {
        await tx.grants.revoke(seed.grantId, 2);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(published).toEqual([]);
    expect(await status()).toEqual(active);
  });
});

describe('SQLite: another connection', () => {
  it('sees a revocation by another connection within 100 ms', async () => {
    const file = sqliteFile();
    const server = await openStore(file, Date.now, { notices: localChangeNotices() });
    const cli = await openStore(file, Date.now, { migrate: false });
    try {
      expect(await server.revocations.accessTokenStatus('jti-2', undefined)).toEqual(active);
      await cli.revocations.revoke('jti-2', 2_000_000);
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect((await server.revocations.accessTokenStatus('jti-2', undefined)).revoked).toBe(true);
    } finally {
      await server.close();
      await cli.close();
    }
  });
});
