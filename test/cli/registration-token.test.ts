import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { sha256 } from '../../src/crypto.ts';
import { type RunningServer, startServer } from '../../src/server.ts';
import { assertBuilt, bin } from '../helpers/dist.ts';
import { freePort } from '../helpers/latchkey.ts';

// `latchkey registration-token create|list|revoke`: the initial access token is printed once, with
// the curl line that uses it; only its hash is stored; a revoked token registers nothing more.
const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'latchkey-cli-registration-'));
let env: Record<string, string | undefined>;
let server: RunningServer;

async function latchkey(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { env, timeout: 60_000 });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}
async function json(args: string[]) {
  const r = await latchkey([...args, '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout.trim().split('\n')).toHaveLength(1);
  return JSON.parse(r.stdout);
}
const registerWith = (token: string) =>
  fetch(`${server.url}/oauth/register`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'CLI test', redirect_uris: ['http://127.0.0.1:8765/callback'] }),
  });

beforeAll(async () => {
  assertBuilt();
  const port = await freePort();
  env = {
    ...process.env,
    LATCHKEY_DATABASE: join(dir, 'cli.sqlite'),
    LATCHKEY_ENVIRONMENT: 'stage',
    LATCHKEY_LOG_LEVEL: 'warn',
    LATCHKEY_DYNAMIC_REGISTRATION: 'token',
    LATCHKEY_ISSUER: `http://127.0.0.1:${port}`,
    PORT: String(port),
  };
  server = await startServer(loadConfig({ ...env, LATCHKEY_LOG_LEVEL: 'silent' }), { printBanner: () => {} });
}, 60_000);
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('latchkey registration-token', { timeout: 120_000 }, () => {
  it('create --json: the token once, its expiry and the endpoint; only the hash is stored', async () => {
    const created = await json(['registration-token', 'create', '--expires-in', '600']);
    expect(created).toEqual({
      id: expect.any(String),
      initial_access_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      expires_at: expect.any(String),
      registration_endpoint: `${server.url}/oauth/register`,
    });
    const rows = await server.services.store.rows('initial_access_tokens');
    const row = rows.find((r) => r.token_hash === sha256(created.initial_access_token))!;
    expect(row).toMatchObject({ id: created.id, created_by: 'cli', revoked_at: null });
    expect(Number(row.expires_at) - Number(row.created_at)).toBe(600_000);
    expect(new Date(Number(row.expires_at)).toISOString()).toBe(created.expires_at);
    expect(JSON.stringify(rows)).not.toContain(created.initial_access_token);
    expect((await registerWith(created.initial_access_token)).status).toBe(201);
  });

  it('create prints the curl line to run next, and that line registers a client', async () => {
    const r = await latchkey(['registration-token', 'create']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/not shown again/);
    const command = r.stdout.slice(r.stdout.indexOf('curl -s')).trim();
    expect(command).toContain(`${server.url}/oauth/register`);
    const { stdout } = await run('sh', ['-c', command], { timeout: 30_000 });
    expect(JSON.parse(stdout)).toMatchObject({ client_name: 'My tool', token_endpoint_auth_method: 'none' });
  });

  it('list shows each token and whether it works; revoke stops it; the clients it made stay', async () => {
    const created = await json(['registration-token', 'create']);
    const registered = await (await registerWith(created.initial_access_token)).json();
    expect(await json(['registration-token', 'revoke', created.id])).toEqual({ revoked: created.id });
    const refused = await registerWith(created.initial_access_token);
    expect(refused.status).toBe(401);
    expect((await refused.json()).error_description).toMatch(/revoked/);
    expect(await server.services.store.clients.find(registered.client_id)).toBeDefined();

    const { initial_access_tokens: list } = await json(['registration-token', 'list']);
    expect(list).toHaveLength(3);
    expect(list.find((t: { id: string }) => t.id === created.id)).toEqual({
      id: created.id,
      created_at: expect.any(String),
      expires_at: created.expires_at,
      revoked_at: expect.any(String),
      active: false,
    });
    expect(JSON.stringify(list)).not.toContain(created.initial_access_token);
    expect((await latchkey(['registration-token', 'list'])).stdout).toContain(`${created.id}  revoked`);
  });

  it('refuses a bad lifetime and an unknown id in one line', async () => {
    const bad = await latchkey(['registration-token', 'create', '--expires-in', '0']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--expires-in <seconds>.*whole seconds from 1 to 31536000/);
    const unknown = await latchkey(['registration-token', 'revoke', 'no-such-token']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('latchkey: No initial access token with id no-such-token\n');
  });
});
