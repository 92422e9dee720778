// Latchkey as operators run it: `node bin/latchkey.mjs serve` with the image's NODE_OPTIONS, SQLite,
// one process (or --workers N).
// The organization, person and client are made through the core in this process before the server
// starts; codes and refresh tokens are minted the same way, into the same database file, just
// before each window that consumes them (codes live 60 s).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createUser } from '../../src/accounts/users.ts';
import { loadConfig } from '../../src/config/index.ts';
import { issueAuthorizationCode } from '../../src/oauth/authorize-consent.ts';
import { createCredentials } from '../../src/oauth/client-registration.ts';
import { newRefreshToken } from '../../src/oauth/refresh-tokens.ts';
import { closeServices, createServices, type Services } from '../../src/services.ts';
import type { Repositories } from '../../src/store/index.ts';
import { basic, type CaseId, clientCredentials, encode, type Plan, post, rotate, supply } from './cases.ts';
import { imageNodeOptions } from './checkout.ts';
import { type BenchDatabase, benchDatabase } from './postgres.ts';
import { freePort, rss, startPinned, stop } from './process.ts';
import type { Target } from './target.ts';

const root = join(import.meta.dirname, '../..');
const redirectUri = 'http://127.0.0.1/callback';
// RFC 7636 appendix B.
const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
const scope = 'invoices:read';

/** Whether this checkout's CLI knows `serve --workers`. */
export function supportsWorkers(checkout = root): boolean {
  const help = execFileSync(process.execPath, ['bin/latchkey.mjs', 'serve', '--help'], { cwd: checkout });
  return help.toString().includes('--workers');
}

interface Seed {
  s: Services;
  clientId: string;
  secret: string;
  userId: string;
  orgId: string;
}

async function seed(env: NodeJS.ProcessEnv, migrate: boolean): Promise<Seed> {
  const s = await createServices(loadConfig(env), { log: pino({ level: 'silent' }), migrate });
  const org = await s.store.accounts.createOrganization('Bench');
  const user = await createUser(
    { email: 'bench@example.com', password: 'bench-password-0123456789', orgId: org.id, role: 'admin' },
    s,
  );
  const { client, clientSecret } = await createCredentials(
    { orgId: org.id, name: 'bench', redirectUris: [redirectUri], scopes: [scope], actor: 'bench' },
    s,
  );
  return { s, clientId: client.id, secret: clientSecret!, userId: user.id, orgId: org.id };
}

/**
 * Runs `make` `n` times inside one SQLite transaction, with the core's functions seeing a store bound
 * to it: one commit instead of three per code (minting tens of thousands between windows).
 */
/** Services whose store is bound to one transaction: what the core's narrow deps need, nothing more. */
type TxServices = Omit<Services, 'store'> & { store: Repositories };

async function inTransaction(
  x: Seed,
  n: number,
  make: (s: TxServices) => Promise<string>,
): Promise<string[]> {
  return x.s.store.transaction(async (store) => {
    const s = { ...x.s, store };
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(await make(s));
    return out;
  });
}

function mintCodes(x: Seed, n: number): Promise<string[]> {
  const now = x.s.clock();
  const pending = {
    id: 'bench',
    clientId: x.clientId,
    redirectUri,
    redirectUriSent: true,
    scope,
    state: null,
    codeChallenge: challenge,
    prompt: null,
    createdAt: now,
    expiresAt: now + 60_000,
  };
  return inTransaction(x, n, (s) => issueAuthorizationCode(pending, x.userId, x.orgId, s));
}

/** Refresh tokens of one new grant (a reuse revokes its grant, so each supply gets its own). */
async function mintRefreshTokens(x: Seed, n: number): Promise<string[]> {
  const grant = await x.s.store.grants.create(
    { clientId: x.clientId, userId: x.userId, orgId: x.orgId, scope },
    x.s.clock(),
  );
  return inTransaction(x, n, async (s) => {
    const { token, record } = newRefreshToken({ grant, scope }, s);
    await s.store.refreshTokens.create(record);
    return token;
  });
}

/** Removes from the migrator's list the migrations that `checkout`'s build does not have. */
async function forgetUnknownMigrations(database: string, checkout: string): Promise<void> {
  const known = readdirSync(join(checkout, 'src/store/migrations'))
    .filter((f) => /^\d{3}_\w+\.ts$/.test(f))
    .map((f) => f.slice(0, -'.ts'.length));
  const placeholders = known.map((_, i) => `$${i + 1}`).join(', ');
  const sql = `DELETE FROM kysely_migration WHERE name NOT IN (${placeholders})`;
  if (database.startsWith('postgres')) {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: database });
    await client.connect();
    await client.query(sql, known);
    await client.end();
  } else {
    const { default: Sqlite } = await import('better-sqlite3');
    const db = new Sqlite(database);
    db.prepare(sql.replaceAll(/\$\d+/g, '?')).run(...known);
    db.close();
  }
}

export interface LatchkeyOptions {
  core: number;
  workers?: number;
  tokens: number;
  /** Another checkout (built) to run instead of this one: before/after comparisons in one run. */
  checkout?: string;
  /** Flags for node itself, e.g. `--cpu-prof`. */
  nodeArgs?: string[];
  name?: string;
  /** A PostgreSQL server URL: the run gets a fresh database there instead of a SQLite file. */
  postgres?: string;
  /** Shared Redis (limits, notices, the client cache), as several instances run. */
  redisUrl?: string;
  /** The row this one is compared with in the PostgreSQL table (its build on SQLite). */
  reference?: string;
}

export async function startLatchkey(opts: LatchkeyOptions): Promise<Target> {
  const postgres = opts.postgres ? await benchDatabase(opts.postgres) : undefined;
  try {
    return await start(opts, postgres);
  } catch (error) {
    await postgres?.drop();
    throw error;
  }
}

async function start(opts: LatchkeyOptions, postgres: BenchDatabase | undefined): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-bench-'));
  const database = postgres?.url ?? join(dir, 'bench.sqlite');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    // As its production image runs it (the Dockerfile's NODE_OPTIONS), this build and the one compared.
    NODE_OPTIONS: imageNodeOptions(opts.checkout ?? root),
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    LATCHKEY_ISSUER: url,
    LATCHKEY_DATABASE: database,
    // A prefix of this server's own: other runs and tests on the same Redis never meet its keys.
    ...(opts.redisUrl && {
      LATCHKEY_REDIS_URL: opts.redisUrl,
      LATCHKEY_REDIS_PREFIX: `latchkey-bench-${randomBytes(6).toString('hex')}:`,
    }),
    LATCHKEY_ENVIRONMENT: 'bench',
    LATCHKEY_LOG_LEVEL: 'warn',
    LATCHKEY_TOKEN_RATE_LIMIT: '100000000/minute',
  };
  // This checkout's migrations and code fill the database, for the other checkout too: its schema is
  // then a superset of what that build expects (this change's migrations only add). The migrations
  // that build does not know are taken off the migrator's list, since a migrator refuses a database
  // that ran migrations it does not have.
  const x = await seed(env, true);
  if (opts.checkout) await forgetUnknownMigrations(database, opts.checkout);
  const workers = opts.workers ? ['--workers', String(opts.workers)] : [];
  const argv = [process.execPath, ...(opts.nodeArgs ?? []), 'bin/latchkey.mjs', 'serve', ...workers];
  const started = await startPinned(argv, {
    core: opts.core,
    env,
    cwd: opts.checkout ?? root,
    probe: `${url}/healthz`,
  });
  const pid = started.child.pid!;
  await new Promise((r) => setTimeout(r, 500));
  const idleRss = rss(pid);

  const auth = basic(x.clientId, x.secret);
  const exchange = async (code: string): Promise<string> => {
    const params = {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
    };
    const r = await fetch(`${url}/oauth/token`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
      body: encode(params),
    });
    if (!r.ok) throw new Error(`Latchkey code exchange: ${r.status} ${await r.text()}`);
    return ((await r.json()) as { access_token: string }).access_token;
  };
  // Access tokens of a person (code flow), as an integration calling the API would hold.
  const accessTokens: string[] = [];
  for (const code of await mintCodes(x, opts.tokens)) accessTokens.push(await exchange(code));

  const token = '/oauth/token';
  return {
    name: (opts.name ?? 'Latchkey') + (opts.workers ? ` (--workers ${opts.workers})` : ''),
    url,
    pid,
    startMs: started.startMs,
    idleRss,
    ...(postgres && { database: postgres.url, databaseCpu: postgres.cpu }),
    ...(opts.reference && { reference: opts.reference }),
    async plan(c: CaseId, n: number): Promise<Plan> {
      if (c === 'code' || c === 'refresh') {
        const values = supply(c === 'code' ? await mintCodes(x, n) : await mintRefreshTokens(x, n));
        const plan = post(token, { grant_type: c }, { authorization: auth });
        const body =
          c === 'code'
            ? () =>
                encode({
                  grant_type: 'authorization_code',
                  code: values.take(),
                  redirect_uri: redirectUri,
                  code_verifier: verifier,
                })
            : () => encode({ grant_type: 'refresh_token', refresh_token: values.take() });
        return {
          ...plan,
          next: () => ({ body: body() }),
          shortfall: values.shortfall,
          remaining: values.remaining,
        };
      }
      if (c === 'introspect') {
        const next = rotate(accessTokens);
        return {
          ...post('/oauth/introspect', { token: '' }, { authorization: auth }),
          next: () => ({ body: encode({ token: next() }) }),
        };
      }
      if (c === 'me') {
        const next = rotate(accessTokens);
        return {
          method: 'GET',
          path: '/api/v1/me',
          headers: {},
          next: () => ({ headers: { authorization: `Bearer ${next()}` } }),
        };
      }
      return clientCredentials(token, c, { basicId: x.clientId, postId: x.clientId, secret: x.secret });
    },
    async close() {
      await stop(started.child);
      await closeServices(x.s);
      await postgres?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
