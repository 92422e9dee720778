import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { presentClient } from '../../src/oauth/client-registration.ts';
import { type RunningServer, startServer } from '../../src/server.ts';
import { assertBuilt, bin } from '../helpers/dist.ts';
import { requestToken } from '../helpers/latchkey.ts';

// DESIGN.md "Commands": every creating command takes --json and prints exactly one JSON object;
// exit 0 on success, non-zero with one clear line on stderr otherwise.
const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'latchkey-cli-'));
const env = {
  ...process.env,
  LATCHKEY_DATABASE: join(dir, 'cli.sqlite'),
  LATCHKEY_ENVIRONMENT: 'stage',
  LATCHKEY_LOG_LEVEL: 'warn',
};

async function latchkey(
  args: string[],
  input?: string,
): Promise<{ stdout: string; stderr: string; code: number }> {
  const child = run(process.execPath, [bin, ...args], { env, timeout: 60_000 });
  if (input !== undefined) {
    child.child.stdin!.end(input);
  }
  try {
    const { stdout, stderr } = await child;
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}
const json = async (args: string[], input?: string) => {
  const r = await latchkey([...args, '--json'], input);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout.trim().split('\n')).toHaveLength(1);
  return JSON.parse(r.stdout);
};

let server: RunningServer;
let issuer: string;

beforeAll(async () => {
  assertBuilt();
  await json(['migrate']);
  server = await startServer(loadConfig({ ...env, PORT: '0', LATCHKEY_LOG_LEVEL: 'silent' }), {
    printBanner: () => {},
  });
  issuer = server.url;
}, 60_000);
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

// Each command is a fresh Node process: allow for a loaded CI machine.
describe('latchkey CLI', { timeout: 120_000 }, () => {
  let orgId: string;
  let secondOrgId: string;
  let userId: string;
  let clientId: string;
  let clientSecret: string;

  it('creates an organization, a user (password from stdin) and a member of a second org', async () => {
    const org = await json(['org', 'create', '--name', 'DE GmbH']);
    expect(org).toEqual({ id: expect.any(String), name: 'DE GmbH' });
    orgId = org.id;
    const user = await json(
      [
        'user',
        'create',
        '--email',
        'ada@example.com',
        '--name',
        'Ada Lovelace',
        '--password-stdin',
        '--org',
        orgId,
        '--role',
        'admin',
      ],
      'a long enough password\n',
    );
    // The name is what apps learn with the profile scope (OpenID Connect `name`).
    expect(user).toEqual({
      id: expect.any(String),
      email: 'ada@example.com',
      name: 'Ada Lovelace',
      external_id: null,
      created_at: expect.any(String),
    });
    const second = await json(['org', 'create', '--name', 'AT GmbH']);
    const member = await json(['member', 'add', '--org', second.id, '--email', 'ada@example.com']);
    expect(member).toEqual({ user_id: user.id, organization_id: second.id, role: 'member' });
    secondOrgId = second.id;
    userId = user.id;
  });

  it('lists organizations and people; --org lists the members of one organization with their roles', async () => {
    // One JSON object, the list under its name, as `client list --json` does.
    const { organizations } = await json(['org', 'list']);
    expect(organizations).toEqual([
      { id: orgId, name: 'DE GmbH', external_id: null, created_at: expect.any(String) },
      { id: secondOrgId, name: 'AT GmbH', external_id: null, created_at: expect.any(String) },
    ]);
    const ada = {
      id: userId,
      email: 'ada@example.com',
      name: 'Ada Lovelace',
      external_id: null,
      created_at: expect.any(String),
    };
    expect(await json(['user', 'list'])).toEqual({ users: [ada] });
    expect(await json(['user', 'list', '--org', secondOrgId])).toEqual({
      users: [{ ...ada, role: 'member' }],
    });
    expect((await latchkey(['org', 'list'])).stdout).toBe(`${orgId}  DE GmbH\n${secondOrgId}  AT GmbH\n`);
    expect((await latchkey(['user', 'list', '--org', orgId])).stdout).toBe(
      `${userId}  ada@example.com  (admin)\n`,
    );
    const unknown = await latchkey(['user', 'list', '--org', 'no-such-org']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('latchkey: No organization with ID no-such-org\n');
  });

  it('creates a client whose secret works against the running server at once', async () => {
    const created = await json([
      'client',
      'create',
      '--org',
      orgId,
      '--name',
      'Sage100',
      '--redirect-uri',
      'https://app.example.com/cb',
      '--scope',
      'invoices:read',
    ]);
    expect(created.client_id).toMatch(/^lkc_/);
    expect(created.client_secret).toMatch(/^lk_stage_/);
    ({ client_id: clientId, client_secret: clientSecret } = created);
    const res = await requestToken(issuer, { clientId, clientSecret }, { auth: 'basic' });
    expect(res.status).toBe(200);
    expect((await res.json()).scope).toBe('invoices:read');
  });

  it('creates a public client without a secret', async () => {
    const created = await json([
      'client',
      'create',
      '--org',
      orgId,
      '--name',
      'SPA',
      '--public',
      '--redirect-uri',
      'http://localhost:5173/cb',
    ]);
    expect(Object.keys(created)).toEqual(['client_id']);
  });

  it("registers post-logout redirect URLs at create and update, under the redirect URLs' rules", async () => {
    const back = 'https://app.example.com/signed-out';
    const created = await json([
      'client',
      'create',
      '--org',
      orgId,
      '--name',
      'Portal',
      '--public',
      '--redirect-uri',
      'https://app.example.com/cb',
      '--post-logout-redirect-uri',
      back,
      '--post-logout-redirect-uri',
      `${back}?tenant=a`,
    ]);
    const show = async () => json(['client', 'show', created.client_id]);
    expect((await show()).post_logout_redirect_uris).toEqual([back, `${back}?tenant=a`]);
    const updated = await json(['client', 'update', created.client_id, '--post-logout-redirect-uri', back]);
    expect(updated.post_logout_redirect_uris).toEqual([back]);
    expect((await show()).post_logout_redirect_uris).toEqual([back]);
    const bad = await latchkey([
      'client',
      'update',
      created.client_id,
      '--post-logout-redirect-uri',
      'http://example.com/out',
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^latchkey: Post-logout redirect URL http:\/\/example\.com\/out: Use https/);
    await json(['client', 'update', created.client_id, '--clear-post-logout-redirect-uris']);
    expect((await show()).post_logout_redirect_uris).toEqual([]);
    await json(['client', 'delete', created.client_id]);
  });

  it('lists and shows clients without their secrets', async () => {
    const list = await json(['client', 'list', '--org', orgId]);
    expect(list.clients.map((c: { name: string }) => c.name).sort()).toEqual(['SPA', 'Sage100']);
    const shown = await json(['client', 'show', clientId]);
    expect(shown).toMatchObject({
      client_id: clientId,
      organization_id: orgId,
      name: 'Sage100',
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    });
    // The same shape as the admin API and the client.* webhooks (presentClient), plus the secrets' hints.
    const { secrets: _, ...client } = shown;
    expect(client).toEqual(presentClient((await server.services.store.clients.find(clientId))!));
    expect(
      list.clients.every((c: Record<string, unknown>) => c.organization_id === orgId && !('org_id' in c)),
    ).toBe(true);
    expect(shown.secrets).toHaveLength(1);
    expect(JSON.stringify([list, shown])).not.toContain(clientSecret);
  });

  it('rotates the signing key; a running server accepts tokens of the new key (unknown kid → reload)', async () => {
    const { kid } = await json(['keys', 'rotate']);
    expect(kid).toEqual(expect.any(String));
    // A second instance on the same store signs with the new key; the first has not reloaded yet.
    const second = await startServer(loadConfig({ ...env, PORT: '0', LATCHKEY_LOG_LEVEL: 'silent' }), {
      printBanner: () => {},
    });
    try {
      const res = await requestToken(second.url, { clientId, clientSecret });
      const { access_token } = await res.json();
      expect(JSON.parse(Buffer.from(access_token.split('.')[0], 'base64url').toString()).kid).toBe(kid);
      const me = await fetch(`${issuer}/api/v1/me`, { headers: { authorization: `Bearer ${access_token}` } });
      expect(me.status).toBe(200);
      const kids = (await (await fetch(`${issuer}/.well-known/jwks.json`)).json()).keys.map(
        (k: { kid: string }) => k.kid,
      );
      expect(kids).toContain(kid);
      expect(kids).toHaveLength(2);
    } finally {
      await second.close();
    }
  });

  it('rotates a secret: the old stops at once without --overlap', async () => {
    const rotated = await json(['client', 'rotate-secret', clientId]);
    expect(rotated.client_secret).not.toBe(clientSecret);
    const tokenWith = (secret: string) => requestToken(issuer, { clientId, clientSecret: secret });
    expect((await tokenWith(clientSecret)).status).toBe(401);
    expect((await tokenWith(rotated.client_secret)).status).toBe(200);
  });

  it('deletes a client', async () => {
    expect(await json(['client', 'delete', clientId])).toEqual({ deleted: clientId });
    const r = await latchkey(['client', 'show', clientId]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toBe(`latchkey: No credentials with client ID ${clientId}\n`);
  });

  it('fails with one clear line for bad input', async () => {
    const badUri = await latchkey([
      'client',
      'create',
      '--org',
      orgId,
      '--name',
      'x',
      '--redirect-uri',
      'http://example.com/cb',
    ]);
    expect(badUri.code).toBe(1);
    expect(badUri.stderr.trim().split('\n')).toHaveLength(1);
    expect(badUri.stderr).toMatch(/https/);
    const badPassword = await latchkey([
      'user',
      'create',
      '--email',
      'b@example.com',
      '--password',
      'short',
      '--org',
      orgId,
    ]);
    expect(badPassword.code).toBe(1);
    expect(badPassword.stderr).toMatch(/at least 10 characters/);
  });
});

describe('configuration errors', { timeout: 60_000 }, () => {
  it('stop the start with one line naming the variable', async () => {
    const child = run(process.execPath, [bin, 'serve'], {
      env: { ...env, LATCHKEY_TOKEN_RATE_LIMIT: 'lots' },
      timeout: 60_000,
    });
    const error = await child.catch((e) => e);
    expect(error.code).toBe(1);
    expect(error.stderr).toBe(
      'latchkey: LATCHKEY_TOKEN_RATE_LIMIT: expected COUNT/second|minute|hour, e.g. 60/minute, got "lots"\n',
    );
  });
});

describe('the compiled bin', { timeout: 60_000 }, () => {
  it('maps the stack of an unexpected error to the TypeScript sources (source maps on)', async () => {
    // A directory where the database file should be: SQLite cannot open it.
    const r = await run(process.execPath, [bin, 'migrate'], {
      env: { ...env, LATCHKEY_DATABASE: dir },
      timeout: 60_000,
    }).catch((e: { code: number; stderr: string }) => e);
    expect((r as { code: number }).code).toBe(1);
    expect(r.stderr).toMatch(/at openDatabase \(.*src\/store\/db\.ts:\d+:\d+\)/);
    expect(r.stderr).not.toMatch(/dist\//);
  });
});
