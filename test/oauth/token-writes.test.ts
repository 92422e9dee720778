// What a client_credentials token writes (docs/decisions.md): nothing of its own. A secret's "last
// used" is stamped at most once a minute, the console's activity counts are kept in memory and
// written when the console reads them, once a minute and at shutdown, and a token whose client is
// cached costs the database no statement. What the console shows stays right within that minute.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { activitySummary } from '../../src/console/activity.ts';
import { openStore } from '../../src/store/index.ts';
import {
  type Latchkey,
  requestToken,
  startLatchkey,
  type TestClient,
  testClock,
} from '../helpers/latchkey.ts';
import { freshPostgres } from '../helpers/postgres.ts';
import { type PrivateRedis, startPrivateRedis } from '../helpers/redis.ts';

const dir = mkdtempSync(join(tmpdir(), 'latchkey-token-writes-'));
let redis: PrivateRedis;
const dropped: (() => Promise<void>)[] = [];
beforeAll(async () => {
  redis = await startPrivateRedis();
});
afterAll(async () => {
  await redis.stop();
  for (const drop of dropped) await drop();
  rmSync(dir, { recursive: true, force: true });
});

/** A database that outlives the server (to read what its shutdown wrote). */
async function database(name: string): Promise<string> {
  if (name === 'SQLite') return join(dir, `${Date.now()}-${Math.random()}.sqlite`);
  const db = await freshPostgres();
  if (!db) throw new Error('PostgreSQL is not reachable on 127.0.0.1:5432');
  dropped.push(db.drop);
  return db.url;
}

describe.each([
  { name: 'SQLite', redis: false },
  { name: 'PostgreSQL', redis: false },
  { name: 'PostgreSQL + Redis', redis: true },
])('on $name', { timeout: 30_000 }, (setup) => {
  const clock = testClock();
  let lk: Latchkey;
  let location: string;
  let client: TestClient;
  const token = async () =>
    expect((await requestToken(lk.issuer, client, { auth: 'basic' })).status).toBe(200);
  /** "Last used" as stored, read past every cache. */
  const stamped = async () => {
    const rows = await lk.services.store.rows('client_secrets');
    return rows.find((r) => r.client_id === client.clientId)!.last_used_at;
  };
  const storedActivity = async () =>
    (await lk.services.store.rows('client_activity')).filter((r) => r.client_id === client.clientId);

  beforeAll(async () => {
    location = await database(setup.name);
    lk = await startLatchkey({
      clock,
      env: { LATCHKEY_DATABASE: location, ...(setup.redis && { LATCHKEY_REDIS_URL: redis.url }) },
    });
    client = await lk.createClient({ grants: ['client_credentials'] });
  });
  afterAll(() => lk?.close());

  it('stamps "last used" at the first token of a minute, and not again until the minute is over', async () => {
    const first = clock();
    await token();
    await vi.waitFor(async () => expect(Number(await stamped())).toBe(first));
    clock.advance(30_000);
    for (let i = 0; i < 5; i++) await token();
    clock.advance(29_999);
    await token();
    // What the console reads (./src/console/credentials/data.ts) and what is stored: the minute's first use.
    expect(Number(await stamped())).toBe(first);
    expect((await lk.services.store.clients.secrets(client.clientId))[0]!.lastUsedAt).toBe(first);

    clock.advance(1);
    await token();
    await vi.waitFor(async () => expect(Number(await stamped())).toBe(first + 60_000));
    expect((await lk.services.store.clients.secrets(client.clientId))[0]!.lastUsedAt).toBe(first + 60_000);
  });

  it('counts tokens in memory: none is written until the console reads them, which shows them all', async () => {
    const before = (await activitySummary(lk.services, client.clientId)).tokensIssued;
    const rows = await storedActivity();
    for (let i = 0; i < 7; i++) await token();
    expect(await storedActivity()).toEqual(rows);
    expect((await activitySummary(lk.services, client.clientId)).tokensIssued).toBe(before + 7);
  });

  it('costs the database no statement per token once its client is cached', async () => {
    await token();
    let statements = 0;
    const stop = lk.services.store.observe({ query: () => statements++ });
    try {
      for (let i = 0; i < 20; i++) await token();
    } finally {
      stop();
    }
    // The server's own timers (a signing-key reload every 30 s) may land in the window.
    expect(statements).toBeLessThanOrEqual(2);
  });

  it('writes the counts still in memory at shutdown', async () => {
    const counted = (await activitySummary(lk.services, client.clientId)).tokensIssued;
    for (let i = 0; i < 3; i++) await token();
    await lk.close();
    const store = await openStore(location, clock, { migrate: false });
    try {
      const totals = await store.activity.totals(client.clientId, clock() - 86_400_000);
      expect(totals.issued).toBe(counted + 3);
    } finally {
      await store.close();
    }
  });
});
