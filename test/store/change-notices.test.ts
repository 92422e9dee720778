import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisOnceTokens } from '../../src/console/credentials/once-tokens.ts';
import { redisChangeNotices } from '../../src/store/change-notices.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { connectRedis, type SharedRedis } from '../../src/store/redis.ts';
import { within } from '../helpers/instances.ts';
import { testClock } from '../helpers/latchkey.ts';
import { type PrivateRedis, startPrivateRedis } from '../helpers/redis.ts';

// Two instances' stores on one database, their caches kept honest by change notices through Redis;
// `raw` writes behind their backs (no notice), to show what the cache holds and for how long.
const clock = testClock();
const dir = mkdtempSync(join(tmpdir(), 'latchkey-cache-'));
const file = join(dir, 'cache.sqlite');
const log = pino({ level: 'silent' });
let redis: PrivateRedis;
let links: SharedRedis[];
let a: Store;
let b: Store;
let raw: Store;
let orgId: string;

beforeAll(async () => {
  redis = await startPrivateRedis();
  links = [connectRedis(redis.url, 'latchkey:test:', log), connectRedis(redis.url, 'latchkey:test:', log)];
  raw = await openStore(file, clock);
  a = await openStore(file, clock, { notices: redisChangeNotices(links[0]!, log) });
  b = await openStore(file, clock, { notices: redisChangeNotices(links[1]!, log) });
  orgId = (await raw.accounts.createOrganization('Cache')).id;
});
afterAll(async () => {
  for (const s of [a, b, raw]) await s?.close();
  for (const l of links ?? []) await l.close();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
const newClient = async () => {
  const id = `cache-${++n}`;
  await raw.clients.create({
    id,
    orgId,
    name: id,
    redirectUris: [],
    grantTypes: ['client_credentials'],
    scopes: [],
    isPublic: false,
    pkceOptional: false,
    createdBy: null,
  });
  return id;
};

describe('cached clients with change notices', () => {
  it('serves from memory; an unannounced change shows after the 5 s lifetime', async () => {
    const id = await newClient();
    expect(await a.clients.find(id)).toBeDefined();
    await raw.clients.delete(id);
    expect(await a.clients.find(id)).toBeDefined(); // cached: no notice was sent
    clock.advance(5_000);
    expect(await a.clients.find(id)).toBeUndefined();
  });

  it('a change through one instance drops it at the other at once', async () => {
    const id = await newClient();
    expect(await a.clients.find(id)).toBeDefined();
    expect(await a.clients.secrets(id)).toEqual([]);
    await b.clients.addSecret({
      id: `${id}-s`,
      clientId: id,
      secretHash: 'h',
      hint: 'abcd',
      createdAt: clock(),
      expiresAt: null,
      createdBy: null,
    });
    expect(await within(1_000, async () => (await a.clients.secrets(id)).length === 1)).toBe(true);
    await b.clients.delete(id);
    expect(await within(1_000, async () => (await a.clients.find(id)) === undefined)).toBe(true);
  });

  it('while Redis is away, entries live 1 s; after it returns, what was cached is dropped', async () => {
    const id = await newClient();
    await redis.stop();
    await within(5_000, async () => links.every((l) => l.state() === 'degraded'));
    expect(await a.clients.find(id)).toBeDefined();
    await raw.clients.update(id, { name: 'renamed' });
    expect((await a.clients.find(id))?.name).toBe(id);
    clock.advance(1_000);
    expect((await a.clients.find(id))?.name).toBe('renamed');

    await raw.clients.update(id, { name: 'while away' });
    await redis.start();
    // Notices sent meanwhile are lost: the resubscription drops everything.
    expect(await within(10_000, async () => (await a.clients.find(id))?.name === 'while away')).toBe(true);
  });

  it('one-time form tokens are claimed once across instances', async () => {
    await within(10_000, async () => links.every((l) => l.state() === 'ok'));
    const [first, second] = links.map((l) => redisOnceTokens(l, clock)) as [
      ReturnType<typeof redisOnceTokens>,
      ReturnType<typeof redisOnceTokens>,
    ];
    const token = first.issue();
    expect(await first.claim(token)).toBeUndefined();
    expect(await second.claim(token)).toEqual({ clientId: undefined });
    await first.settle(token, 'client-1');
    expect(await second.claim(token)).toEqual({ clientId: 'client-1' });
  });
});
