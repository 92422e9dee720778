import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUser } from '../../src/accounts/users.ts';
import type { Clock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config/index.ts';
import { createLogger } from '../../src/logger.ts';
import { createCredentials } from '../../src/oauth/client-registration.ts';
import type { Role } from '../../src/oauth/model/accounts.ts';
import type { GrantType } from '../../src/oauth/model/clients.ts';
import { type RunningServer, startServer } from '../../src/server.ts';
import type { ServiceOptions, Services } from '../../src/services.ts';

export interface TestClient {
  clientId: string;
  clientSecret: string;
  orgId: string;
}

export interface Latchkey {
  /** The issuer and base URL, e.g. http://127.0.0.1:40123 */
  issuer: string;
  services: Services;
  server: RunningServer;
  /** The organization made at start; createClient uses it unless told otherwise. */
  orgId: string;
  createClient(options?: {
    name?: string;
    scopes?: string[];
    grants?: GrantType[];
    redirectUris?: string[];
    public?: boolean;
    orgId?: string;
    postLogoutRedirectUris?: string[];
  }): Promise<TestClient>;
  /** A person who can sign in; member of `orgId` (default: the test organization). */
  createUser(options?: {
    email?: string;
    password?: string;
    orgId?: string;
    role?: Role;
  }): Promise<{ userId: string; email: string; password: string }>;
  createOrganization(name: string): Promise<string>;
  rotateKeys(): Promise<string>;
  close(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

let userCount = 0;

/** A moveable clock: tests advance time instead of sleeping. */
export function testClock(
  start = Date.UTC(2026, 10, 22, 12, 0, 0),
): Clock & { advance(ms: number): void; set(ms: number): void } {
  let now = start;
  const clock = (() => now) as Clock & { advance(ms: number): void; set(ms: number): void };
  clock.advance = (ms) => {
    now += ms;
  };
  clock.set = (ms) => {
    now = ms;
  };
  return clock;
}

/**
 * A real Latchkey listening on 127.0.0.1 with its own SQLite file (or LATCHKEY_DATABASE from `env`),
 * issuer = its base URL. Logs are silent unless `log` is given.
 */
export async function startLatchkey(
  options: {
    clock?: Clock;
    env?: Record<string, string>;
    logStream?: NodeJS.WritableStream;
    /** A path the issuer sits under, e.g. '/auth' (LATCHKEY_ISSUER=http://127.0.0.1:PORT/auth). */
    issuerPath?: string;
    /** How client metadata documents are fetched: a test CA, name resolution, a short time limit. */
    documentFetch?: ServiceOptions['documentFetch'];
  } = {},
): Promise<Latchkey> {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-test-'));
  const base = {
    PORT: '0',
    HOST: '127.0.0.1',
    LATCHKEY_DATABASE: join(dir, 'latchkey.sqlite'),
    LATCHKEY_ENVIRONMENT: 'test',
    LATCHKEY_LOG_LEVEL: options.logStream ? 'info' : 'silent',
    ...options.env,
  };
  const log = options.logStream
    ? createLogger('info', options.logStream as unknown as Parameters<typeof createLogger>[1])
    : undefined;
  // The issuer must be known before listening: take a free port from the kernel first. Another
  // process may take it between the two steps (parallel test files): then try another.
  let issuer = '';
  let server: RunningServer | undefined;
  for (let attempt = 1; !server; attempt++) {
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}${options.issuerPath ?? ''}`;
    const config = loadConfig({ ...base, PORT: String(port), LATCHKEY_ISSUER: issuer, ...options.env });
    try {
      server = await startServer(config, {
        clock: options.clock,
        log,
        printBanner: () => {},
        documentFetch: options.documentFetch,
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 5) throw error;
    }
  }
  const s = server.services;
  const org = await s.store.accounts.createOrganization('Test Organization');

  return {
    issuer,
    services: s,
    server,
    orgId: org.id,
    async createClient(o = {}) {
      const { client, clientSecret } = await createCredentials(
        {
          orgId: o.orgId ?? org.id,
          name: o.name ?? 'Test client',
          redirectUris: o.redirectUris ?? ['http://127.0.0.1:9999/callback'],
          grantTypes: o.grants,
          scopes: o.scopes,
          isPublic: o.public,
          postLogoutRedirectUris: o.postLogoutRedirectUris,
          // Tests may give a resource server `latchkey:introspect`, as the operator's CLI can.
          allowCliOnlyScopes: true,
          actor: 'test',
        },
        s,
      );
      return { clientId: client.id, clientSecret: clientSecret ?? '', orgId: client.orgId ?? org.id };
    },
    async createUser(o = {}) {
      const email = o.email ?? `person${++userCount}-${Date.now()}@example.com`;
      const password = o.password ?? 'correct horse battery staple';
      const user = await createUser(
        { email, password, orgId: o.orgId ?? org.id, role: o.role ?? 'admin' },
        s,
      );
      return { userId: user.id, email, password };
    },
    async createOrganization(name) {
      return (await s.store.accounts.createOrganization(name)).id;
    },
    rotateKeys: () => s.keys.rotate(),
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A client_credentials request to `${issuer}/oauth/token`. `auth`: 'json' (default) sends the
 * credentials in a JSON body, 'post' in a form body (client_secret_post), 'basic' in HTTP Basic
 * (form-encoded id and secret, RFC 6749 §2.3.1) with a form body. `body` adds or overrides parameters.
 */
export function requestToken(
  issuer: string,
  client: { clientId: string; clientSecret: string },
  options: { auth?: 'basic' | 'post' | 'json'; body?: Record<string, string> } = {},
): Promise<Response> {
  const { auth = 'json', body = {} } = options;
  const url = `${issuer}/oauth/token`;
  const credentials = { client_id: client.clientId, client_secret: client.clientSecret };
  if (auth === 'json') {
    return fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials', ...credentials, ...body }),
    });
  }
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (auth === 'basic') {
    const pair = `${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`;
    headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
  }
  return fetch(url, {
    method: 'POST',
    headers,
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      ...(auth === 'post' ? credentials : {}),
      ...body,
    }),
  });
}
