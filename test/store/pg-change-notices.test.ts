// Change notices through PostgreSQL's LISTEN/NOTIFY (src/store/pg-change-notices.ts), on a real
// database: two instances' notices, what is ignored on the channel, a listening connection
// terminated by the server or gone silent, and two stores whose caches the notices keep honest.
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeNotice, ChangeNotices } from '../../src/store/change-notices.ts';
import { openStore } from '../../src/store/index.ts';
import { noticeChannel, pgChangeNotices } from '../../src/store/pg-change-notices.ts';
import { within } from '../helpers/instances.ts';
import { testClock } from '../helpers/latchkey.ts';
import { freshPostgres } from '../helpers/postgres.ts';
import { startPrivatePostgres } from '../helpers/private-postgres.ts';

let db: { url: string; drop(): Promise<void> };
let admin: pg.Client;
const warnings: string[] = [];
const log = pino({ level: 'warn' }, { write: (line: string) => warnings.push(JSON.parse(line).msg) });

beforeAll(async () => {
  const fresh = await freshPostgres();
  if (!fresh) throw new Error('PostgreSQL is not reachable on 127.0.0.1:5432');
  db = fresh;
  admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
});
afterAll(async () => {
  await admin?.end();
  await db?.drop();
});

/** Notices with what their handlers heard. */
function listening(notices: ChangeNotices) {
  const heard: Array<ChangeNotice | 'reset'> = [];
  notices.subscribe((n) => heard.push(n));
  return { notices, heard };
}

/** The backend pids of the listening connections on the test's database. */
async function listeners(client: pg.Client = admin): Promise<number[]> {
  const r = await client.query(
    `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'latchkey notices'`,
  );
  return r.rows.map((row) => row.pid as number);
}

describe('change notices through PostgreSQL', () => {
  it('reach the other instance once, after a reset at connection; its own come back to no one', async () => {
    const a = listening(pgChangeNotices(db.url, log));
    const b = listening(pgChangeNotices(db.url, log));
    try {
      expect(await within(5_000, async () => a.notices.healthy() && b.notices.healthy())).toBe(true);
      expect(a.heard).toEqual(['reset']);
      await a.notices.publish('grants', '*');
      await a.notices.publish('client', 'lkc_1');
      expect(await within(2_000, async () => b.heard.length === 3)).toBe(true);
      expect(b.heard).toEqual(['reset', { kind: 'grants', id: '*' }, { kind: 'client', id: 'lkc_1' }]);
      // Delivered to A's own handlers at publish time, and not a second time from the channel.
      await b.notices.publish('keys', 'k1');
      expect(await within(2_000, async () => a.heard.length === 4)).toBe(true);
      expect(a.heard).toEqual([
        'reset',
        { kind: 'grants', id: '*' },
        { kind: 'client', id: 'lkc_1' },
        { kind: 'keys', id: 'k1' },
      ]);
      expect(b.heard).toHaveLength(4);
    } finally {
      await a.notices.close();
      await b.notices.close();
    }
  });

  it('ignores what else arrives on the channel: bad JSON, unknown kinds, missing ids', async () => {
    const b = listening(pgChangeNotices(db.url, log));
    try {
      expect(await within(5_000, async () => b.notices.healthy())).toBe(true);
      warnings.length = 0;
      for (const payload of ['not json', 'null', '{"o":"x","k":"users","i":"1"}', '{"o":"x","k":"client"}']) {
        await admin.query('SELECT pg_notify($1, $2)', [noticeChannel, payload]);
      }
      await admin.query('SELECT pg_notify($1, $2)', [noticeChannel, '{"o":"x","k":"client","i":"lkc_2"}']);
      expect(await within(2_000, async () => b.heard.length === 2)).toBe(true);
      expect(b.heard).toEqual(['reset', { kind: 'client', id: 'lkc_2' }]);
      expect(warnings.filter((w) => w === 'ignored a malformed change notice')).toHaveLength(2);
    } finally {
      await b.notices.close();
    }
  });

  it('listens again after its connection is terminated, with a reset, and notices flow again', async () => {
    const a = pgChangeNotices(db.url, log);
    const b = listening(pgChangeNotices(db.url, log));
    try {
      expect(await within(5_000, async () => b.notices.healthy())).toBe(true);
      const [pid] = await listeners();
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      expect(await within(2_000, async () => !b.notices.healthy())).toBe(true);
      expect(await within(5_000, async () => b.notices.healthy())).toBe(true);
      expect(b.heard).toEqual(['reset', 'reset']);
      expect(await listeners()).not.toContain(pid);
      await a.publish('client', 'lkc_3');
      expect(await within(2_000, async () => b.heard.length === 3)).toBe(true);
      expect(b.heard[2]).toEqual({ kind: 'client', id: 'lkc_3' });
    } finally {
      await a.close();
      await b.notices.close();
    }
  });

  it('replaces a listening connection that stops answering', async () => {
    // A private server: its backend is stopped (SIGSTOP), as a connection lost without a word would be.
    const server = await startPrivatePostgres();
    const b = listening(pgChangeNotices(server.url, log, { heartbeatMs: 200 }));
    const client = new pg.Client({ connectionString: server.url });
    let stopped: number | undefined;
    try {
      await client.connect();
      expect(await within(5_000, async () => b.notices.healthy())).toBe(true);
      [stopped] = await listeners(client);
      process.kill(stopped!, 'SIGSTOP');
      expect(await within(2_000, async () => !b.notices.healthy())).toBe(true);
      expect(await within(5_000, async () => b.notices.healthy())).toBe(true);
      expect(b.heard).toEqual(['reset', 'reset']);
    } finally {
      if (stopped) process.kill(stopped, 'SIGCONT');
      await b.notices.close();
      await client.end();
      await server.destroy();
    }
  }, 60_000);

  it('are healthy only while listening, and close with nothing left open', async () => {
    const server = await startPrivatePostgres();
    const open = () =>
      process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'Timeout');
    const before = open();
    const b = listening(pgChangeNotices(server.url, log));
    try {
      expect(await within(5_000, async () => b.notices.healthy())).toBe(true);
      await server.stop();
      expect(await within(2_000, async () => !b.notices.healthy())).toBe(true);
      // Sending fails while the server is away; the change is committed already, so publish says so and returns.
      await b.notices.publish('grants', '*');
      await server.start();
      expect(await within(10_000, async () => b.notices.healthy())).toBe(true);
      expect(b.heard.filter((n) => n === 'reset')).toHaveLength(2);
      await b.notices.publish('grants', '*'); // the sending connection is open again
      await b.notices.close();
      expect(b.notices.healthy()).toBe(false);
      // pg's Pool.end() resolves as its sockets begin to close; they are gone a moment later.
      expect(await within(1_000, async () => open().length === before.length)).toBe(true);
    } finally {
      await b.notices.close();
      await server.destroy();
    }
  }, 60_000);
});

describe('two stores on one PostgreSQL database without Redis', () => {
  it('cache clients and token statuses, and drop them at the other within 1 s of a change', async () => {
    const clock = testClock();
    const [na, nb] = [pgChangeNotices(db.url, log), pgChangeNotices(db.url, log)];
    const a = await openStore(db.url, clock, { notices: na });
    const b = await openStore(db.url, clock, { migrate: false, notices: nb });
    try {
      expect(await within(5_000, async () => na.healthy() && nb.healthy())).toBe(true);
      const org = await a.accounts.createOrganization('Acme');
      await a.clients.create({
        id: 'lkc_pg',
        orgId: org.id,
        name: 'Billing sync',
        redirectUris: [],
        grantTypes: ['client_credentials'],
        scopes: [],
        isPublic: false,
        pkceOptional: false,
        createdBy: null,
      });
      const lookups = { hits: 0 };
      b.observe({ cacheLookup: (_cache, hit) => hit && lookups.hits++ });
      for (let i = 0; i < 2; i++) {
        expect(await b.clients.find('lkc_pg')).toBeDefined();
        expect((await b.revocations.accessTokenStatus('jti-pg', undefined)).revoked).toBe(false);
      }
      expect(lookups.hits).toBe(2);

      await a.revocations.revoke('jti-pg', clock() + 60_000);
      expect(
        await within(1_000, async () => (await b.revocations.accessTokenStatus('jti-pg', undefined)).revoked),
      ).toBe(true);
      await a.clients.delete('lkc_pg');
      expect(await within(1_000, async () => (await b.clients.find('lkc_pg')) === undefined)).toBe(true);
    } finally {
      await a.close();
      await b.close();
      await na.close();
      await nb.close();
    }
  });
});
