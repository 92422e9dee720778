import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config/index.ts';
import { closeServices, createServices } from '../../src/services.ts';
import { startLockId } from '../../src/store/db.ts';
import { openStore } from '../../src/store/index.ts';
import { bin, root, type ServedBin, serveBuilt } from '../helpers/dist.ts';
import { within } from '../helpers/instances.ts';
import { freePort, requestToken } from '../helpers/latchkey.ts';
import { freshPostgres } from '../helpers/postgres.ts';
import { type PrivateRedis, startPrivateRedis } from '../helpers/redis.ts';

// DESIGN.md "Operating it": instances started at once on an empty PostgreSQL database never crash;
// migrations and the first signing key happen once, under pg_advisory_lock; nothing is ever seeded
// on PostgreSQL. The first organization and admin come from the CLI, as docs/deploy.md shows.

type Database = NonNullable<Awaited<ReturnType<typeof freshPostgres>>>;
const databases: Database[] = [];
async function database(): Promise<Database> {
  const db = await freshPostgres();
  if (!db) throw new Error('PostgreSQL is not reachable on 127.0.0.1:5432');
  databases.push(db);
  return db;
}
async function query(url: string, text: string, values: unknown[] = []): Promise<pg.QueryResultRow[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** docs/deploy.md's "First organization and admin" commands, one per entry, comments removed. */
function firstAdminCommands(): string[] {
  const doc = readFileSync(join(root, 'docs/deploy.md'), 'utf8');
  const block = /## First organization and admin\n[\s\S]*?```sh\n([\s\S]*?)```/.exec(doc)![1]!;
  return block
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .map((line) => line.replace(/\s+# .*$/, '').trim())
    .filter(Boolean);
}

let redis: PrivateRedis;
beforeAll(async () => {
  redis = await startPrivateRedis();
});
afterAll(async () => {
  await redis?.stop();
  for (const db of databases) await db.drop();
});

describe('three instances started at the same instant on an empty PostgreSQL database', () => {
  it('all serve, one signing key is current, nothing is seeded and no password is printed', async () => {
    const db = await database();
    const ports = await Promise.all([freePort(), freePort(), freePort()]);
    // docs/deploy.md's variables for several instances, except LATCHKEY_ENVIRONMENT, left at its
    // default (development): PostgreSQL is never seeded, whatever the environment says.
    const shared = {
      HOST: '127.0.0.1',
      LATCHKEY_DATABASE: db.url,
      LATCHKEY_REDIS_URL: redis.url,
      LATCHKEY_ISSUER: `http://127.0.0.1:${ports[0]}`,
      LATCHKEY_ENVIRONMENT: undefined,
      LATCHKEY_LOG_LEVEL: 'info',
    };
    const servers: ServedBin[] = ports.map((port) => serveBuilt({ ...shared, PORT: String(port) }));
    try {
      await Promise.all(servers.map((s) => s.waitFor(/"msg":"latchkey listening"/)));
      const urls = ports.map((port) => `http://127.0.0.1:${port}`);
      for (const url of urls) expect((await fetch(`${url}/readyz`)).status).toBe(200);

      const current = await query(db.url, 'select kid from signing_keys where retired_at is null');
      expect(current).toHaveLength(1);
      expect(await query(db.url, 'select id from organizations')).toEqual([]);
      expect(await query(db.url, 'select id from users')).toEqual([]);

      // The first organization and admin, with the commands of docs/deploy.md as printed there.
      const env = { ...process.env, ...shared, LATCHKEY_LOG_LEVEL: 'warn' };
      const sh = async (script: string, input = '') => {
        const child = execFile(
          'bash',
          ['-ec', `latchkey() { "${process.execPath}" "${bin}" "$@"; }\n${script}`],
          {
            env,
            timeout: 30_000,
          },
        );
        let out = '';
        child.stdout!.on('data', (d) => (out += d));
        child.stderr!.on('data', (d) => (out += d));
        child.stdin!.end(input);
        const code = await new Promise((resolve) => child.once('exit', resolve));
        expect(code, out).toBe(0);
        return out;
      };
      const [create, ...rest] = firstAdminCommands();
      const org = await sh(create!);
      const orgId = /^Created organization Acme: (\S+)$/m.exec(org)![1]!;
      const admin = await sh(
        rest.join('\n').replaceAll('ORG_ID', orgId),
        'a long and unguessable passphrase\n',
      );
      expect(await query(db.url, 'select email from users')).toEqual([{ email: 'admin@acme.example' }]);
      const credentials = JSON.parse(
        await sh(`latchkey client create --org ${orgId} --name Billing --grant client_credentials --json`),
      );
      const client = { clientId: credentials.client_id, clientSecret: credentials.client_secret };
      for (const url of urls) {
        const token = await requestToken(url, client);
        expect(token.status).toBe(200);
        const { access_token } = await token.json();
        const header = JSON.parse(Buffer.from(access_token.split('.')[0], 'base64url').toString());
        expect(header.kid).toBe(current[0]!.kid);
      }

      for (const s of servers) expect(s.child.exitCode).toBeNull();
      // No demo password printed by a server; the admin's own password in no output at all.
      for (const s of servers) expect(s.output()).not.toMatch(/password/i);
      for (const out of [...servers.map((s) => s.output()), org, admin])
        expect(out).not.toContain('unguessable');
    } finally {
      for (const s of servers) if (s.child.exitCode === null) s.child.kill('SIGKILL');
    }
  }, 90_000);

  it('latchkey migrate waits for the same lock', async () => {
    const db = await database();
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query('select pg_advisory_lock($1::bigint)', [startLockId]);
      const child = spawn(process.execPath, [bin, 'migrate', '--json'], {
        env: { ...process.env, LATCHKEY_DATABASE: db.url, LATCHKEY_LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout!.on('data', (d) => (out += d));
      child.stderr!.on('data', (d) => (out += d));
      const exited = new Promise((resolve) => child.once('exit', resolve));
      // It waits: its session shows among those waiting for an advisory lock, and it has not exited.
      const waiting = async () =>
        (
          await holder.query(
            `select 1 from pg_locks l join pg_stat_activity a on a.pid = l.pid
             where l.locktype = 'advisory' and not l.granted and a.datname = current_database()`,
          )
        ).rowCount === 1;
      expect(await within(30_000, async () => child.exitCode !== null || (await waiting()))).toBe(true);
      expect(child.exitCode, out).toBeNull();
      expect(await waiting()).toBe(true);

      await holder.query('select pg_advisory_unlock($1::bigint)', [startLockId]);
      expect(await exited, out).toBe(0);
      expect(JSON.parse(out).applied.length).toBeGreaterThan(0);
    } finally {
      await holder.end();
    }
  }, 60_000);
});

describe('processes opening the same empty database together (in one test process)', () => {
  it('make one signing key, not one each', async () => {
    const db = await database();
    // Migrated ahead (`latchkey migrate`), no key yet, and the starts skip migrating (as --workers'
    // workers do): nothing but the lock keeps them apart.
    await (await openStore(db.url, systemClock)).close();
    const config = loadConfig({ LATCHKEY_DATABASE: db.url, LATCHKEY_LOG_LEVEL: 'silent' });
    const opened = await Promise.all([1, 2, 3, 4].map(() => createServices(config, { migrate: false })));
    try {
      expect(await query(db.url, 'select kid from signing_keys where retired_at is null')).toHaveLength(1);
      expect(new Set(opened.map((s) => s.keys.publicKeys()[0]!.kid)).size).toBe(1);
    } finally {
      for (const s of opened) await closeServices(s);
    }
  });
});

describe('the deployment files', () => {
  it('set LATCHKEY_ENVIRONMENT explicitly (Latchkey never reads NODE_ENV)', () => {
    const read = (file: string) => readFileSync(join(root, file), 'utf8');
    const unit = read('deploy/latchkey.service');
    expect(unit).toMatch(/^Environment=LATCHKEY_ENVIRONMENT=production$/m);
    expect(unit).not.toMatch(/^Environment=NODE_ENV/m);
    const runtimeStage = read('Dockerfile')
      .split(/^FROM /m)
      .at(-1)!;
    expect(runtimeStage).toMatch(/^ENV .*\bLATCHKEY_ENVIRONMENT=production\b/m);
    expect(read('deploy/compose.yaml')).toMatch(
      /^ {4}LATCHKEY_ENVIRONMENT: \$\{LATCHKEY_ENVIRONMENT:-production\}$/m,
    );
    const severalInstances = /## Several instances\n[^`]*```sh\n([^`]*)```/.exec(read('docs/deploy.md'))![1]!;
    expect(severalInstances).toMatch(/^LATCHKEY_ENVIRONMENT=production\b/m);
  });
});
