// The client cache on SQLite without Redis (src/store/cached-clients.ts): the token endpoint's client
// and secret reads come from memory, and a commit by any other connection to the file (the CLI, another
// process) is seen within 100 ms (PRAGMA data_version, asked at most that often; DESIGN.md allows 1 s).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { localChangeNotices } from '../../src/store/change-notices.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { freshPostgres } from '../helpers/postgres.ts';

const clock = () => 1_000_000;
/** Past the interval at which the cache asks SQLite whether another connection committed. */
const nextCheck = () => new Promise((resolve) => setTimeout(resolve, 150));

async function seedClient(store: Store, id: string): Promise<void> {
  const org = await store.accounts.createOrganization('Acme');
  await store.clients.create({
    id,
    orgId: org.id,
    name: 'Billing sync',
    redirectUris: [],
    grantTypes: ['client_credentials'],
    scopes: ['invoices:read'],
    isPublic: false,
    pkceOptional: false,
    createdBy: null,
  });
  await store.clients.addSecret({
    id: `${id}-s1`,
    clientId: id,
    secretHash: 'hash-1',
    hint: 'abcd',
    createdAt: clock(),
    expiresAt: null,
    createdBy: null,
  });
}

/** Counts lookups answered from memory. */
function hits(store: Store): { hits: number; misses: number } {
  const counts = { hits: 0, misses: 0 };
  store.observe({ query: () => {}, cacheLookup: (_cache, hit) => (hit ? counts.hits++ : counts.misses++) });
  return counts;
}

describe('client cache on SQLite without Redis', () => {
  let server: Store;
  let cli: Store;
  beforeEach(async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'latchkey-cache-')), 'db.sqlite');
    server = await openStore(file, clock, { notices: localChangeNotices() });
    // A second connection to the same file, as the CLI opens it.
    cli = await openStore(file, clock, { migrate: false });
    await seedClient(cli, 'lkc_cached');
  });
  afterEach(async () => {
    await server.close();
    await cli.close();
  });

  it('answers repeated lookups from memory', async () => {
    const counts = hits(server);
    for (let i = 0; i < 3; i++) {
      expect((await server.clients.find('lkc_cached'))?.name).toBe('Billing sync');
      expect(await server.clients.secrets('lkc_cached')).toHaveLength(1);
    }
    expect(counts).toEqual({ hits: 4, misses: 2 });
  });

  it('sees a client deleted by another connection within 100 ms', async () => {
    expect(await server.clients.find('lkc_cached')).toBeDefined();
    expect(await cli.clients.delete('lkc_cached')).toBe(true);
    await nextCheck();
    expect(await server.clients.find('lkc_cached')).toBeUndefined();
  });

  it('sees secrets added or expired by another connection within 100 ms', async () => {
    expect(await server.clients.secrets('lkc_cached')).toHaveLength(1);
    await cli.clients.addSecret({
      id: 'lkc_cached-s2',
      clientId: 'lkc_cached',
      secretHash: 'hash-2',
      hint: 'efgh',
      createdAt: clock() + 1,
      expiresAt: null,
      createdBy: null,
    });
    await nextCheck();
    expect((await server.clients.secrets('lkc_cached')).map((s) => s.id)).toEqual([
      'lkc_cached-s2',
      'lkc_cached-s1',
    ]);
    await cli.clients.expireSecrets('lkc_cached', clock(), 'lkc_cached-s2');
    await nextCheck();
    const expired = (await server.clients.secrets('lkc_cached')).find((s) => s.id === 'lkc_cached-s1');
    expect(expired?.expiresAt).toBe(clock());
  });

  it('drops its own copy when this process changes the client', async () => {
    expect((await server.clients.find('lkc_cached'))?.scopes).toEqual(['invoices:read']);
    await server.clients.update('lkc_cached', { scopes: ['invoices:write'] });
    expect((await server.clients.find('lkc_cached'))?.scopes).toEqual(['invoices:write']);
  });
});

describe('PostgreSQL with notices that stay in this process', () => {
  it('caches nothing: other instances could not tell it of a change', async (context) => {
    const pg = await freshPostgres();
    if (!pg) return context.skip();
    const store = await openStore(pg.url, clock, { notices: localChangeNotices() });
    try {
      await seedClient(store, 'lkc_pg');
      const counts = hits(store);
      await store.clients.find('lkc_pg');
      await store.clients.find('lkc_pg');
      expect(counts.hits).toBe(0);
    } finally {
      await store.close();
      await pg.drop();
    }
  });
});

describe('a client stored from its metadata document', () => {
  it('announces every save, so no instance keeps an old copy or an old expiry', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'latchkey-cache-')), 'db.sqlite');
    const notices = localChangeNotices();
    const store = await openStore(file, clock, { notices });
    try {
      const published: string[] = [];
      notices.subscribe((notice) => {
        if (notice !== 'reset') published.push(notice.id);
      });
      const id = 'https://agent.example/client.json';
      const doc = {
        id,
        name: 'Agent',
        redirectUris: ['http://127.0.0.1:33418/cb'],
        grantTypes: ['authorization_code' as const],
        scopes: [],
        isPublic: true,
      };
      await store.clients.saveDocumentClient(doc, clock() + 300_000);
      expect(published).toEqual([id]);
      expect((await store.clients.find(id))!.metadataExpiresAt).toBe(clock() + 300_000);

      await store.clients.saveDocumentClient(doc, clock() + 900_000);
      expect(published).toEqual([id, id]);
      expect((await store.clients.find(id))!.metadataExpiresAt).toBe(clock() + 900_000);

      await store.clients.saveDocumentClient({ ...doc, name: 'Agent 2' }, clock() + 900_000);
      expect(published).toEqual([id, id, id]);
      expect((await store.clients.find(id))!.name).toBe('Agent 2');
    } finally {
      await store.close();
    }
  });
});
