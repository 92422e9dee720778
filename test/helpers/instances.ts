import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { loadConfig } from '../../src/config/index.ts';
import { createCredentials } from '../../src/oauth/client-registration.ts';
import { closeServices, createServices, type Services } from '../../src/services.ts';
import { assertBuilt, bin } from './dist.ts';
import { freePort, type Latchkey, type TestClient } from './latchkey.ts';
import { freshPostgres } from './postgres.ts';
import { type PrivateRedis, startPrivateRedis } from './redis.ts';

/** One `latchkey serve` process. */
export interface Instance {
  url: string;
  process: ChildProcess;
  /** Its log lines (JSON, parsed) so far. */
  logs: Array<{ level: number; msg: string; [k: string]: unknown }>;
  /** Resolves with the exit code (or signal) once the process is gone. */
  exited: Promise<number | string>;
}

export interface Instances {
  instances: Instance[];
  /** The shared issuer (the first instance's URL), as a load balancer's name would be. */
  issuer: string;
  /** The private Redis they share; undefined when started on PostgreSQL alone. */
  redis: PrivateRedis | undefined;
  databaseUrl: string;
  /** Services of this test process on the same database and Redis: an operator's tool, like the CLI. */
  admin: Services;
  /** Runs `latchkey ARGS --json` against the same database and Redis; returns the parsed output. */
  cli(args: string[]): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

const run = promisify(execFile);

/** An instance as the flow helpers (test/helpers/oauth-flow.ts) need Latchkey: only its base URL. */
export const at = (i: Instance) => ({ issuer: i.url }) as Latchkey;

/** Credentials in `orgId` made through the shared database, as an operator's tool would. */
export async function createClientIn(
  lk: Instances,
  orgId: string,
  name: string,
  redirectUri: string,
): Promise<TestClient> {
  const { client, clientSecret } = await createCredentials(
    { orgId, name, redirectUris: [redirectUri], actor: 'test' },
    lk.admin,
  );
  return { clientId: client.id, clientSecret: clientSecret!, orgId };
}

async function untilReady(instance: Instance): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (instance.process.exitCode !== null)
      throw new Error(`instance exited: ${JSON.stringify(instance.logs)}`);
    const ok = await fetch(`${instance.url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${instance.url} never became ready`);
}

/**
 * `count` real `latchkey serve` processes on loopback ports, sharing a fresh PostgreSQL database and
 * a private Redis (none with `redis: false`: PostgreSQL alone). The first one migrates the database
 * before the others start.
 */
export async function startInstances(
  count: number,
  env: Record<string, string> = {},
  options: { redis?: boolean } = {},
): Promise<Instances> {
  assertBuilt();
  const db = await freshPostgres();
  if (!db) throw new Error('PostgreSQL is not reachable on 127.0.0.1:5432 (see .ci/run)');
  const redis = options.redis === false ? undefined : await startPrivateRedis();
  const ports = await Promise.all(Array.from({ length: count }, () => freePort()));
  const issuer = `http://127.0.0.1:${ports[0]}`;
  const shared = {
    HOST: '127.0.0.1',
    LATCHKEY_LOG_LEVEL: 'info',
    LATCHKEY_DATABASE: db.url,
    ...(redis && { LATCHKEY_REDIS_URL: redis.url }),
    LATCHKEY_ISSUER: issuer,
    LATCHKEY_ENVIRONMENT: 'test',
    ...env,
  };
  const instances: Instance[] = [];
  let admin: Services | undefined;

  const stop = async () => {
    await Promise.all(
      instances.map(async (i) => {
        if (i.process.exitCode === null && i.process.signalCode === null) i.process.kill('SIGKILL');
        await i.exited;
      }),
    );
    if (admin) await closeServices(admin);
    await redis?.stop();
    await db.drop();
  };

  try {
    for (const port of ports) {
      const child = spawn(process.execPath, [bin, 'serve'], {
        env: { ...process.env, ...shared, PORT: String(port) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const instance: Instance = {
        url: `http://127.0.0.1:${port}`,
        process: child,
        logs: [],
        exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal!))),
      };
      let partial = '';
      child.stdout!.on('data', (chunk) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop()!;
        for (const line of lines) if (line.startsWith('{')) instance.logs.push(JSON.parse(line));
      });
      child.stderr!.on('data', (chunk) => instance.logs.push({ level: 60, msg: String(chunk) }));
      instances.push(instance);
      await untilReady(instance);
    }
    admin = await createServices(loadConfig({ ...shared, LATCHKEY_LOG_LEVEL: 'silent' }), { migrate: false });
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    instances,
    issuer,
    redis,
    databaseUrl: db.url,
    admin,
    async cli(args) {
      const { stdout } = await run(process.execPath, [bin, ...args, '--json'], {
        env: { ...process.env, ...shared, LATCHKEY_LOG_LEVEL: 'warn' },
        timeout: 30_000,
      });
      return JSON.parse(stdout);
    },
    stop,
  };
}

/** Polls `check` every 50 ms until it holds or `withinMs` passes; returns whether it held. */
export async function within(withinMs: number, check: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}
